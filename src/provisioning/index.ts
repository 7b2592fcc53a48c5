export {
  createProvisioningService,
  type ProvisioningService,
  type ProvisioningServiceDeps,
  type ProvisionAction,
  type ProvisionCredential,
  type ProvisionEntry,
  type ProvisionObjectType,
  type ProvisionOptions,
  type ProvisionResult,
} from './service.js';
export { parseProvisioningText, validateProvisioningFile, validateImportManifest, type ProvisioningFormat } from './validate.js';
export { PROVISION_MODES, ProvisioningFile, durationSeconds, type ProvisionMode } from './schema.js';
export { ImportManifest, MANIFEST_VERSION, type ImportManifestInput } from './manifest.js';
export { manifestOfFile, fileFieldName, type ConvertedFile } from './nested.js';
export { formatPath } from './rules.js';
export type { ProvisioningFailure, ProvisioningProblem } from './errors.js';
