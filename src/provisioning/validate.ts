import YAML from 'yaml';
import { unreadableFile, invalidFile, invalidManifest, unsupportedManifestVersion, type ProvisioningProblem } from './errors.js';
import { ImportManifest, MANIFEST_VERSION } from './manifest.js';
import { checkRawManifest } from './manifest-rules.js';
import { formatPath } from './rules.js';
import { ProvisioningFile } from './schema.js';

export type ProvisioningFormat = 'json' | 'yaml';

/** JSON or YAML (format from the caller, else from the content); a syntax error is `unreadable_provisioning_file`. */
export function parseProvisioningText(text: string, format?: ProvisioningFormat): unknown {
  const isJson = format === 'json' || (format === undefined && /^\s*[{[]/.test(text));
  try {
    if (isJson) return JSON.parse(text) as unknown;
    const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
    if (docs.length > 1) throw new Error('the file holds several YAML documents; give one');
    const doc = docs[0];
    if (!doc) return null;
    const [error] = doc.errors;
    if (error) throw error;
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw unreadableFile(`${isJson ? 'JSON' : 'YAML'}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Checks the whole file and throws `invalid_provisioning_file` listing every problem with its path,
 * so nothing is applied from a file with any mistake. `now` decides whether a secret expiry is future.
 */
export function validateProvisioningFile(input: unknown, { now }: { now: Date }): ProvisioningFile {
  const problems = [...checkRaw(input, now)];
  const result = ProvisioningFile.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push({ path: formatPath(issue.path) || '(file)', message: issue.message });
  }
  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    throw invalidFile(problems);
  }
  return result.data;
}

/**
 * Checks a flat import manifest (40-data-model §7) and throws `validation_failed` listing every problem
 * with its path in the manifest; an unsupported `version` is reported alone.
 */
export function validateImportManifest(input: unknown, { now }: { now: Date }): ImportManifest {
  if (isRecord(input) && input.version !== undefined && input.version !== MANIFEST_VERSION && input.version !== 1) {
    throw unsupportedManifestVersion(input.version);
  }
  const problems = [...checkRawManifest(input, now)];
  const result = ImportManifest.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push({ path: formatPath(issue.path) || '(manifest)', message: issue.message });
  }
  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    throw invalidManifest(problems);
  }
  return result.data;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Rules that need more than one entry's shape: run on the raw input so they are reported even beside structural errors. */
function* checkRaw(input: unknown, now: Date): Generator<ProvisioningProblem> {
  if (!isRecord(input)) return;
  const arePasswordsAllowed = input.allow_passwords === true;
  for (const [i, org] of list(input.organizations).entries()) {
    if (!isRecord(org)) continue;
    for (const [j, user] of list(org.users).entries()) {
      if (isRecord(user) && 'password' in user && !arePasswordsAllowed) {
        yield { path: `organizations[${i}].users[${j}].password`, message: 'passwords are accepted only with "allow_passwords: true" at the top of the file' };
      }
    }
    for (const [j, app] of list(org.applications).entries()) {
      if (!isRecord(app)) continue;
      for (const [k, client] of list(app.clients).entries()) {
        const expiresAt = isRecord(client) && isRecord(client.secret) ? client.secret.expires_at : undefined;
        if (typeof expiresAt === 'string' && Date.parse(expiresAt) <= now.getTime()) {
          yield { path: `organizations[${i}].applications[${j}].clients[${k}].secret.expires_at`, message: 'must be in the future' };
        }
      }
    }
  }
}
