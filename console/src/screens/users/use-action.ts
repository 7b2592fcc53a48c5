import { useCallback, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';

/** Pending and error state of one button or form; the error stays in place until the next try. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [isPending, setPending] = useState(false);
  const run = useCallback(async (fn: () => Promise<void>): Promise<boolean> => {
    setError(null);
    setPending(true);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setPending(false);
    }
  }, []);
  return { error, isPending, run, clearError: () => setError(null) };
}

/** Refetches everything shown about the organization's users (the list, the user and its tabs). */
export function useRefreshUsers(orgId: string) {
  const queryClient = useQueryClient();
  return useCallback(() => queryClient.invalidateQueries({ queryKey: ['users', orgId] }), [queryClient, orgId]);
}
