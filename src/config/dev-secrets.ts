import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './schema.js';

interface StoredSecrets {
  cookieKeys?: string[];
  twoFactorEncryptionKey?: string;
}

export interface DevSecretsResult {
  config: Readonly<Config>;
  /** Names of the secrets generated (not read back) in this call. */
  generated: string[];
  file: string;
}

/**
 * Outside production, missing COOKIE_KEYS / TWO_FACTOR_ENCRYPTION_KEY are generated once into
 * `PORTA_DATA_DIR/secrets.json` (mode 0600) and reused, so cookies and 2FA survive restarts.
 */
export function withDevSecrets(config: Readonly<Config>): DevSecretsResult {
  const file = path.join(config.dataDir, 'secrets.json');
  const isMissingCookieKeys = config.cookieKeys.length === 0;
  const isMissingTfa = config.twoFactorEncryptionKey === undefined;
  if (config.env === 'production' || (!isMissingCookieKeys && !isMissingTfa)) return { config, generated: [], file };

  const stored = readStored(file);
  const generated: string[] = [];
  if (isMissingCookieKeys && !(stored.cookieKeys && stored.cookieKeys.length > 0)) {
    stored.cookieKeys = [randomBytes(32).toString('base64url')];
    generated.push('COOKIE_KEYS');
  }
  if (isMissingTfa && !(stored.twoFactorEncryptionKey && /^[0-9a-f]{64}$/i.test(stored.twoFactorEncryptionKey))) {
    stored.twoFactorEncryptionKey = randomBytes(32).toString('hex');
    generated.push('TWO_FACTOR_ENCRYPTION_KEY');
  }
  if (generated.length > 0) {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  const next: Config = {
    ...config,
    cookieKeys: isMissingCookieKeys ? [...(stored.cookieKeys ?? [])] : config.cookieKeys,
    twoFactorEncryptionKey: isMissingTfa ? stored.twoFactorEncryptionKey : config.twoFactorEncryptionKey,
  };
  return { config: Object.freeze(next), generated, file };
}

function readStored(file: string): StoredSecrets {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object') throw new Error(`${file} is not a JSON object`);
  return parsed as StoredSecrets;
}
