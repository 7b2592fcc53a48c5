import { expect } from 'vitest';
import { isAppError } from '../../src/platform/errors.js';

/** Awaits a rejection and checks it is an AppError of this kind and code; returns it for further checks. */
export async function expectAppError(promise: Promise<unknown>, kind: string, code: string): Promise<{ details?: unknown }> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isAppError(err), `expected AppError ${code}, got ${String(err)}`).toBe(true);
  expect(err).toMatchObject({ kind, code });
  return err as { details?: unknown };
}
