import { describe, expect, it } from 'vitest';
import { REFRESH_MARGIN_MS, StoredLogin, needsRefresh } from './stored-login.js';
import type { Credentials } from './credentials.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();

const credentials = (expiresAt: string, refreshToken: string | null): Credentials => ({
  server: 'http://127.0.0.1:1',
  orgSlug: 'porta-admin',
  clientId: 'porta-admin-cli',
  accessToken: 'access-1',
  refreshToken,
  idToken: null,
  expiresAt,
  user: { sub: 'u1', email: 'root@porta.test', name: null },
});

describe('stored login refresh (spec 30 §1: refresh when < 60 s remain)', () => {
  it('refreshes only inside the margin or after expiry', () => {
    expect(needsRefresh(at(REFRESH_MARGIN_MS + 1000), NOW)).toBe(false);
    expect(needsRefresh(at(REFRESH_MARGIN_MS - 1000), NOW)).toBe(true);
    expect(needsRefresh(at(-1000), NOW)).toBe(true);
    expect(needsRefresh('not a date', NOW)).toBe(true);
  });

  it('uses the stored token while it has more than a minute left (no request made)', async () => {
    const login = new StoredLogin(credentials(at(10 * 60_000), 'refresh-1'), '/nonexistent/credentials.json', () => NOW);
    await expect(login.token()).resolves.toBe('access-1');
  });

  it('asks for a new login when the token expired and there is no refresh token', async () => {
    const login = new StoredLogin(credentials(at(-1000), null), '/nonexistent/credentials.json', () => NOW);
    await expect(login.token()).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/porta login/) });
    await expect(login.refresh()).resolves.toBeNull();
  });

  it('keeps using a token that still has a few seconds when there is no refresh token', async () => {
    const login = new StoredLogin(credentials(at(30_000), null), '/nonexistent/credentials.json', () => NOW);
    await expect(login.token()).resolves.toBe('access-1');
  });
});
