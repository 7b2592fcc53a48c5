import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, withDevSecrets } from './index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-secrets-'));
  dirs.push(d);
  return d;
}

describe('withDevSecrets', () => {
  it('generates missing secrets once into secrets.json (0600) and reuses them', () => {
    const dir = tempDir();
    const first = withDevSecrets(loadConfig({ NODE_ENV: 'development', PORTA_DATA_DIR: dir }));
    expect(first.generated).toEqual(['COOKIE_KEYS', 'TWO_FACTOR_ENCRYPTION_KEY']);
    expect(first.config.cookieKeys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.config.twoFactorEncryptionKey).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dir, 'secrets.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const second = withDevSecrets(loadConfig({ NODE_ENV: 'development', PORTA_DATA_DIR: dir }));
    expect(second.generated).toEqual([]);
    expect(second.config.cookieKeys).toEqual(first.config.cookieKeys);
    expect(second.config.twoFactorEncryptionKey).toBe(first.config.twoFactorEncryptionKey);
  });

  it('keeps secrets given in the environment and writes nothing', () => {
    const dir = tempDir();
    const result = withDevSecrets(
      loadConfig({ NODE_ENV: 'development', PORTA_DATA_DIR: dir, COOKIE_KEYS: 'given-key-0123456789', TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32) }),
    );
    expect(result.generated).toEqual([]);
    expect(result.config.cookieKeys).toEqual(['given-key-0123456789']);
    expect(fs.existsSync(path.join(dir, 'secrets.json'))).toBe(false);
  });

  it('never generates secrets in production', () => {
    const dir = tempDir();
    const config = loadConfig({ NODE_ENV: 'production', PORTA_DATA_DIR: dir, PORTA_SKIP_PROD_SAFETY: 'true' });
    const result = withDevSecrets(config);
    expect(result.generated).toEqual([]);
    expect(result.config.cookieKeys).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'secrets.json'))).toBe(false);
  });
});
