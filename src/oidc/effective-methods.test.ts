import { describe, expect, it } from 'vitest';
import { effectiveMethods, isMailDeliverable } from './interaction.js';
import type { OidcDeps, Organization } from './types.js';

const org = (isSuperAdmin: boolean) => ({ isSuperAdmin, defaultLoginMethods: ['password', 'magic_link'] }) as unknown as Organization;
const config = (env: string, host?: string) => ({ env, smtp: { host } }) as unknown as OidcDeps['config'];

describe('effective login methods (spec 60 §1)', () => {
  it("uses the client's list, else the organization's", () => {
    expect(effectiveMethods(org(false), {})).toEqual(['password', 'magic_link']);
    expect(effectiveMethods(org(false), { porta: { login_methods: ['password'] } })).toEqual(['password']);
    expect(effectiveMethods(org(false), { porta: { login_methods: null } })).toEqual(['password', 'magic_link']);
  });

  it('offers magic links in the admin organization only while mail is deliverable', () => {
    expect(isMailDeliverable(config('production'))).toBe(false);
    expect(isMailDeliverable(config('production', 'smtp.example'))).toBe(true);
    expect(isMailDeliverable(config('development'))).toBe(true);
    expect(effectiveMethods(org(true), {}, false)).toEqual(['password']);
    expect(effectiveMethods(org(true), {}, true)).toEqual(['password', 'magic_link']);
    expect(effectiveMethods(org(false), {}, false)).toEqual(['password', 'magic_link']);
  });
});
