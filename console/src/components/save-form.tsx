import { useState, type FormEvent, type ReactNode } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { Button } from './button';
import { ErrorMessage } from './error-message';

/** The entity was changed by someone else since the form loaded it: its `If-Match` save answered 412. */
export function isStaleError(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'precondition_failed';
}

/** Optimistic concurrency of a form whose save sends the loaded version's ETag as `If-Match`. */
export interface StaleOptions {
  /** What the form edits, in the notice: "The application changed since this form was loaded…". */
  entity: string;
  /** Loads the current version into the form (with its ETag), discarding the admin's changes. */
  reload: () => Promise<unknown>;
}

/**
 * An edit form that saves with one mutation: `onSubmit` runs it (the error stays on the mutation, shown by
 * `feedback`), `isSaved` is true from a successful save until `markChanged` (call it from every field's
 * change) or the next submit. With `stale`, a 412 also says in place that nothing was saved and offers to
 * load the current version.
 */
export function useSaveForm(save: UseMutationResult<unknown, Error, void>, stale?: StaleOptions): {
  onSubmit: (event: FormEvent) => void;
  markChanged: () => void;
  feedback: (savedMessage?: string) => ReactNode;
} {
  const [isSaved, setIsSaved] = useState(false);
  const [isReloading, setIsReloading] = useState(false);
  const reload = async () => {
    if (!stale) return;
    setIsReloading(true);
    try {
      await stale.reload();
      save.reset();
    } finally {
      setIsReloading(false);
    }
  };
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
        {stale && isStaleError(save.error) ? (
          <p>
            The {stale.entity} changed since this form was loaded (an edit elsewhere), so nothing was saved.{' '}
            <Button variant="secondary" onPress={() => void reload().catch(() => undefined)} isDisabled={isReloading}>
              Discard my changes and load the current {stale.entity}
            </Button>
          </p>
        ) : null}
        {isSaved ? <p role="status">{savedMessage}</p> : null}
      </>
    ),
  };
}
