import { useMutation, useQueryClient, type UseMutationResult } from '@tanstack/react-query';

/**
 * TanStack `useMutation` for an Admin API write: on success the given queries are invalidated (refetched).
 * Show `mutation.error` with <ErrorMessage error={mutation.error} /> where the action is.
 */
export function useApiMutation<TVariables = void, TResult = unknown>(
  fn: (variables: TVariables) => Promise<TResult>,
  options: { invalidate?: readonly (readonly unknown[])[]; onSuccess?: (result: TResult, variables: TVariables) => void } = {},
): UseMutationResult<TResult, Error, TVariables> {
  const client = useQueryClient();
  return useMutation<TResult, Error, TVariables>({
    mutationFn: fn,
    onSuccess: async (result, variables) => {
      await Promise.all((options.invalidate ?? []).map((queryKey) => client.invalidateQueries({ queryKey: [...queryKey] })));
      options.onSuccess?.(result, variables);
    },
  });
}
