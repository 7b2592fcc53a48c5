import type { z } from 'zod';
import { AppError } from './errors.js';

/**
 * Parses input or throws `invalid` `validation_failed` with `[{ path, message }]` details — the same
 * shape the HTTP edge gives zod failures — and a message naming the first problem.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = details[0];
  const message = first ? `${first.path || 'input'}: ${first.message}` : 'The input is invalid.';
  throw new AppError('invalid', 'validation_failed', message, details);
}
