import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CliError } from '../context.js';
import { authorizationUrl, codeFromCallback, createPkce, decodeJwtPayload, normalizeServer, type AdminMetadata } from './oauth.js';

const metadata: AdminMetadata = {
  issuer: 'http://localhost:3000/porta-admin',
  orgSlug: 'porta-admin',
  clientId: 'porta-admin-cli',
  authorization_endpoint: 'http://localhost:3000/porta-admin/auth/authorize',
  token_endpoint: 'http://localhost:3000/porta-admin/auth/token',
  end_session_endpoint: 'http://localhost:3000/porta-admin/auth/session/end',
};

describe('CLI login (spec 30 §2)', () => {
  it('builds an S256 PKCE authorization request with state, nonce, offline access and prompt=login consent', () => {
    const pkce = createPkce();
    expect(pkce.challenge).toBe(createHash('sha256').update(pkce.verifier).digest('base64url'));
    expect(pkce.verifier).toMatch(/^[\w-]{43}$/);
    const url = new URL(authorizationUrl(metadata, 'porta-admin-cli', 'http://127.0.0.1/callback', pkce));
    expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'porta-admin-cli',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1/callback',
      scope: 'openid profile email offline_access',
      prompt: 'login consent',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state: pkce.state,
      nonce: pkce.nonce,
    });
  });

  it('takes the code from a pasted callback only with the right state', () => {
    expect(codeFromCallback('  http://127.0.0.1/callback?code=abc&state=s1\n', 's1')).toBe('abc');
    const cases: Array<[string, RegExp, number]> = [
      ['http://127.0.0.1/callback?code=abc&state=other', /state mismatch/, 3],
      ['http://127.0.0.1/callback?error=access_denied&error_description=denied&state=s1', /access_denied \(denied\)/, 3],
      ['http://127.0.0.1/callback?state=s1', /no authorization code/, 3],
      ['not a url', /paste the whole address/, 2],
    ];
    for (const [callback, message, exit] of cases) {
      try {
        codeFromCallback(callback, 's1');
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).message).toMatch(message);
        expect((err as CliError).exitCode).toBe(exit);
      }
    }
  });

  it('reads JWT payloads and normalises server URLs', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'u1', nonce: 'n' })).toString('base64url');
    expect(decodeJwtPayload(`x.${payload}.y`)).toEqual({ sub: 'u1', nonce: 'n' });
    expect(decodeJwtPayload('garbage')).toBeNull();
    expect(normalizeServer('https://auth.example.com/')).toBe('https://auth.example.com');
    expect(() => normalizeServer('ftp://x')).toThrow(/http\(s\) URL/);
  });
});
