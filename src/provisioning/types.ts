import type { ClientType } from '../clients/index.js';
import type { ProvisionMode } from './schema.js';

export type { ProvisionMode } from './schema.js';

export type ProvisionObjectType =
  | 'organization'
  | 'application'
  | 'module'
  | 'api_resource'
  | 'client'
  | 'role'
  | 'permission'
  | 'claim_definition'
  | 'role_permission_mapping'
  | 'user'
  | 'user_role_assignment'
  | 'user_claim_value'
  | 'config';
export type ProvisionAction = 'created' | 'updated' | 'skipped';

/** One object of the manifest and what the run did with it (manifest order within each type). */
export interface ProvisionEntry {
  action: ProvisionAction;
  type: ProvisionObjectType;
  /** slug, e-mail, client_id, claim name or config key */
  key: string;
  name: string;
  /** null for an object a dry run would create */
  id: string | null;
  /** where in the manifest (or, for `porta provision`, in the file) */
  path: string;
  organizationSlug?: string;
  applicationSlug?: string;
  /** updated: the fields that differed (role-permission mappings: `+slug` / `-slug`) */
  changes?: string[];
  /** skipped: kept as it is (`merge`) or already equal to the manifest (`overwrite`) */
  reason?: 'exists' | 'unchanged';
}

/** One per client of the manifest, in manifest order (admin API 20 §5.9 `credentials`). */
export interface ProvisionCredential {
  path: string;
  organizationSlug: string;
  applicationSlug: string;
  clientName: string;
  /** null only in a dry run, for a client that would be created without a given client_id */
  clientId: string | null;
  clientType: ClientType;
  /** A secret this run generated (shown once), or the manifest's `secret_value` (30-cli §7). */
  secretPlaintext?: string;
  /** This run stored a secret (in a dry run: would store one). */
  isNewSecret?: boolean;
  secretId?: string;
  secretLabel?: string | null;
  secretExpiresAt?: string | null;
}

export interface ProvisionResult {
  mode: ProvisionMode;
  isDryRun: boolean;
  entries: ProvisionEntry[];
  credentials: ProvisionCredential[];
}
