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

/** A manifest with problems (paths within the manifest); nothing was applied. */
export const invalidManifest = (problems: ProvisioningProblem[]) =>
  new AppError('invalid', 'validation_failed', `The import manifest has ${problems.length} problem(s); nothing was changed.`, problems);

export const unsupportedManifestVersion = (version: unknown) =>
  invalidManifest([{ path: 'version', message: `version ${JSON.stringify(version)} is not supported; this server reads "1.0"` }]);

/** Admin API 20 §1: `import_failed` with the error entries; the transaction was rolled back. */
export const importFailed = (failures: ProvisioningFailure[]) => {
  const [first] = failures;
  const summary = first ? `${first.path}: ${first.message} (${first.error})` : 'The import failed';
  const more = failures.length > 1 ? ` and ${failures.length - 1} more error(s)` : '';
  return new AppError('unprocessable', 'import_failed', `${summary}${more}; nothing was changed.`, failures);
};
