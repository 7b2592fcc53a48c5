import { z } from 'zod';
import { redirectUriProblem } from '../clients/index.js';

export const SEED_ORG_SLUG = 'demo';
export const SEED_OTHER_ORG_SLUG = 'demo-b';
export const SEED_APPLICATION_SLUG = 'demo-app';
export const SEED_USER_EMAIL = 'user@demo.test';
export const DEFAULT_SEED_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/**
 * The post-logout URI registered for a redirect URI: `logged-out` beside it
 * (`http://127.0.0.1:8765/callback` → `http://127.0.0.1:8765/logged-out`), so every app keeps its own path prefix.
 */
export function postLogoutUriFor(redirectUri: string): string {
  return new URL('logged-out', redirectUri).toString();
}

const SeedRedirectUri = z
  .string()
  .trim()
  .superRefine((uri, ctx) => {
    // `spa` is the stricter of the two client types seeded: https, or http on a loopback host.
    const problem = redirectUriProblem(uri, 'spa');
    if (problem) ctx.addIssue({ code: 'custom', message: `${uri} ${problem}` });
  });

export const SeedInput = z.strictObject({
  /** ISSUER_BASE_URL: each organization's issuer is `{baseUrl}/{slug}`. */
  baseUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
  redirectUris: z
    .array(SeedRedirectUri)
    .min(1)
    .max(10)
    .default([DEFAULT_SEED_REDIRECT_URI])
    .transform((uris) => [...new Set(uris)]),
});
export type SeedInput = z.input<typeof SeedInput>;

export const SeedRedirectUris = SeedInput.shape.redirectUris;

/** What `porta seed run` prints and writes (spec 30 §3), for organization `demo`; the playgrounds read it. */
export interface SeedOutput {
  baseUrl: string;
  orgSlug: string;
  otherOrgSlug: string;
  issuer: string;
  /** The first of `redirectUris`. */
  redirectUri: string;
  postLogoutRedirectUri: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  publicClient: { id: string };
  confidentialClient: { id: string; secret: string };
  user: { email: string; password: string };
}

export interface SeedItem {
  type: 'organization' | 'application' | 'client' | 'user';
  /** Slug, client_id or e-mail, prefixed with the organization slug for tenant-owned objects. */
  key: string;
  id: string;
  action: 'created' | 'reused';
}

export interface SeedResult {
  output: SeedOutput;
  items: SeedItem[];
}
