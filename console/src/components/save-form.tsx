import { useState, type FormEvent, type ReactNode } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import { ErrorMessage } from './error-message';

/**
 * An edit form that saves with one mutation: `onSubmit` runs it (the error stays on the mutation, shown by
 * `feedback`), `isSaved` is true from a successful save until `markChanged` (call it from every field's
 * change) or the next submit.
 */
export function useSaveForm(save: UseMutationResult<unknown, Error, void>): {
  onSubmit: (event: FormEvent) => void;
  markChanged: () => void;
  feedback: (savedMessage?: string) => ReactNode;
} {
  const [isSaved, setIsSaved] = useState(false);
  return {
    onSubmit: (event) => {
      event.preventDefault();
      setIsSaved(false);
      save.mutateAsync(undefined).then(() => setIsSaved(true), () => undefined);
    },
    markChanged: () => setIsSaved(false),
    feedback: (savedMessage = 'Saved.') => (
      <>
        {save.error ? <ErrorMessage error={save.error} /> : null}
        {isSaved ? <p role="status">{savedMessage}</p> : null}
      </>
    ),
  };
}
