import { describe, expect, it } from 'vitest';
import type { EngineClientMetadata } from '../clients/index.js';
import { adminConsoleUris, withConsoleUris } from './console-client.js';

const stored = (clientId: string, redirects: string[] = [], postLogout: string[] = []) =>
  ({ client_id: clientId, redirect_uris: redirects, post_logout_redirect_uris: postLogout }) as unknown as EngineClientMetadata;

describe('the console client as the engine sees it', () => {
  it('takes its redirect URIs from ISSUER_BASE_URL, whatever is stored, so a changed issuer keeps working', () => {
    expect(adminConsoleUris('https://id.example.com')).toEqual({ redirectUri: 'https://id.example.com/admin/callback', postLogoutRedirectUri: 'https://id.example.com/admin' });
    const before = withConsoleUris(stored('porta-admin-console'), { isSuperAdmin: true }, 'http://localhost:3000');
    const after = withConsoleUris(stored('porta-admin-console'), { isSuperAdmin: true }, 'https://id.example.com');
    expect(before).toMatchObject({ redirect_uris: ['http://localhost:3000/admin/callback'], post_logout_redirect_uris: ['http://localhost:3000/admin'] });
    expect(after).toMatchObject({ redirect_uris: ['https://id.example.com/admin/callback'], post_logout_redirect_uris: ['https://id.example.com/admin'] });
  });

  it('keeps URIs a super admin registered beside the derived ones, without duplicates', () => {
    const m = withConsoleUris(stored('porta-admin-console', ['https://id.example.com/admin/callback', 'https://ops.example.com/admin/callback']), { isSuperAdmin: true }, 'https://id.example.com');
    expect(m.redirect_uris).toEqual(['https://id.example.com/admin/callback', 'https://ops.example.com/admin/callback']);
  });

  it('leaves every other client, and a same-named client outside the admin organization, as stored', () => {
    const other = stored('portal-web', ['https://portal.example/cb']);
    expect(withConsoleUris(other, { isSuperAdmin: true }, 'https://id.example.com')).toBe(other);
    const elsewhere = stored('porta-admin-console');
    expect(withConsoleUris(elsewhere, { isSuperAdmin: false }, 'https://id.example.com')).toBe(elsewhere);
  });
});
