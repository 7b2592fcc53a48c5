import { AppError } from '../platform/errors.js';

/** A seeded object exists but can never be usable again (a revoked client); the seed cannot repair it. */
export const seedObjectUnusable = (what: string, reason: string) =>
  new AppError('conflict', 'seed_object_unusable', `${what} ${reason}; delete the demo organizations' data or pick another database, then seed again.`, { what, reason });


export const seedMissing = (what: string) => new AppError('not_found', 'seed_not_found', `${what} does not exist: run porta seed run first.`, { what });
