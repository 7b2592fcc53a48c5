import type { KoaContextWithOIDC } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { interactionPolicyOf, secondFactorCheck } from './second-factor-check.js';
import { SECOND_FACTOR_REASON, firstFactorOf, firstFactorOfSession, isStepUpRequested } from './second-factor.js';
import { runAsTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

const org = (twoFactorPolicy: string) => ({ id: '00000000-0000-4000-8000-000000000001', slug: 'acme', twoFactorPolicy }) as unknown as Organization;

describe('the second factor at the engine', () => {
  it('reads step-up from acr_values: 2fa asked for and one factor not acceptable', () => {
    expect(isStepUpRequested('urn:porta:acr:2fa')).toBe(true);
    expect(isStepUpRequested('gold urn:porta:acr:2fa')).toBe(true);
    expect(isStepUpRequested('urn:porta:acr:2fa urn:porta:acr:1fa')).toBe(false);
    expect(isStepUpRequested('urn:porta:acr:1fa')).toBe(false);
    expect(isStepUpRequested(undefined)).toBe(false);
    expect(isStepUpRequested(['urn:porta:acr:2fa'])).toBe(false);
  });

  it("reads a live session's first factor back from its amr", () => {
    expect(firstFactorOfSession(['pwd'])).toBe('pwd');
    expect(firstFactorOfSession(['otp'])).toBe('magic_link');
    expect(firstFactorOfSession(['email'])).toBe('magic_link');
    expect(firstFactorOfSession(undefined)).toBe('magic_link');
    expect(firstFactorOfSession(['swk'])).toEqual({ passkey: { isBackedUp: true, isUserVerified: false } });
    expect(firstFactorOf(firstFactorOfSession(['hwk', 'user', 'mfa']))).toBe('passkey_uv');
    expect(firstFactorOf({ passkey: { isBackedUp: false, isUserVerified: false } })).toBe('passkey');
  });

  describe('the login prompt check', () => {
    interface Case {
      policy?: string;
      session?: { accountId?: string; acr?: string };
      acrValues?: string;
      justSignedIn?: boolean;
      isEnrolled?: boolean;
    }
    async function check(c: Case): Promise<boolean> {
      const lookups: string[] = [];
      const deps = { users: { findById: async (_org: string, id: string) => (lookups.push(id), { twoFactorEnabled: c.isEnrolled === true }) } } as unknown as OidcDeps;
      const ctx = {
        oidc: { session: c.session ?? {}, params: { acr_values: c.acrValues }, result: c.justSignedIn ? { login: { accountId: 'u1' } } : undefined },
      } as unknown as KoaContextWithOIDC;
      return runAsTenant(org(c.policy ?? 'optional'), 'https://op.example', async () => secondFactorCheck(deps).check(ctx));
    }

    it('asks again when a one-factor session meets step-up, a stricter policy or a user who enrolled since', async () => {
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' }, acrValues: 'urn:porta:acr:2fa' })).toBe(true);
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' }, policy: 'required_totp' })).toBe(true);
      // A session from before acr existed counts as one factor.
      expect(await check({ session: { accountId: 'u1' }, policy: 'required_any' })).toBe(true);
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' }, isEnrolled: true })).toBe(true);
    });

    it('lets a session through that is strong enough, has no account, or has just signed in', async () => {
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:2fa' }, policy: 'required_totp', acrValues: 'urn:porta:acr:2fa' })).toBe(false);
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' } })).toBe(false);
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' }, acrValues: 'urn:porta:acr:1fa urn:porta:acr:2fa' })).toBe(false);
      expect(await check({ session: {}, policy: 'required_totp' })).toBe(false);
      expect(await check({ session: { accountId: 'u1', acr: 'urn:porta:acr:1fa' }, policy: 'required_totp', justSignedIn: true })).toBe(false);
    });

    it('is part of the login prompt, answering login_required under prompt=none', () => {
      const login = interactionPolicyOf({ users: {} } as unknown as OidcDeps).find((p) => p.name === 'login')!;
      const added = login.checks.find((c) => c.reason === SECOND_FACTOR_REASON)!;
      expect(added.error).toBe('login_required');
      expect(login.checks.map((c) => c.reason)).toContain('no_session');
    });
  });
});
