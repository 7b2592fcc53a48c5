import { AppError } from '../platform/errors.js';

export interface ProvisioningProblem {
  /** Where in the file, e.g. `organizations[0].applications[1].clients[0].redirect_uris[0]`. */
  path: string;
  message: string;
}

/** An entry the database refused while applying; everything was rolled back. */
export interface ProvisioningFailure {
  path: string;
  type: string;
  slug: string;
  error: string;
  message: string;
}

export const unreadableFile = (message: string) => new AppError('invalid', 'unreadable_provisioning_file', `The provisioning file cannot be read: ${message}`);

export const invalidFile = (problems: ProvisioningProblem[]) =>
  new AppError('invalid', 'invalid_provisioning_file', `The provisioning file has ${problems.length} problem(s); nothing was changed.`, problems);

/** Admin API 20 §1: `import_failed` with the error entries; the transaction was rolled back. */
export const importFailed = (failure: ProvisioningFailure) =>
  new AppError('unprocessable', 'import_failed', `${failure.path}: ${failure.message} (${failure.error}); nothing was changed.`, [failure]);
