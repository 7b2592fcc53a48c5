/**
 * A server-side relying party on 127.0.0.1:0 for browser tests: `/callback` redeems the code (PKCE) with
 * openid-client and verifies the ID token's signature against the issuer's JWKS with jose, keeping the
 * verified claims by state. The browser sees a small "Signed in" page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';

export interface RelyingParty {
  callbackUri: string;
  /** The verified ID token claims of each completed sign-in, by state. */
  signedIn: Map<string, JWTPayload>;
  /** An authorization request (code + PKCE, `scope=openid email`), with any extra parameters (`acr_values`, `max_age`…). */
  authorizationUrl(config: oidc.Configuration, extra?: Record<string, string>): Promise<{ url: string; state: string }>;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startRelyingParty(): Promise<RelyingParty> {
  const pending = new Map<string, { config: oidc.Configuration; verifier: string }>();
  const signedIn = new Map<string, JWTPayload>();
  const send = (res: http.ServerResponse, status: number, title: string, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`);
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/callback') return send(res, 404, 'Not found', '<p>Not found</p>');
    const state = url.searchParams.get('state') ?? '';
    const flow = pending.get(state);
    if (!flow) return send(res, 400, 'Unknown state', '<p id="rp-error">unknown state</p>');
    pending.delete(state);
    if (url.searchParams.has('error')) return send(res, 400, 'Error', `<p id="rp-error">${escapeHtml(url.searchParams.get('error')!)}</p>`);
    const tokens = await oidc.authorizationCodeGrant(flow.config, url, { pkceCodeVerifier: flow.verifier, expectedState: state });
    const metadata = flow.config.serverMetadata();
    const { payload } = await jwtVerify(tokens.id_token ?? '', createRemoteJWKSet(new URL(metadata.jwks_uri!)), {
      issuer: metadata.issuer, audience: flow.config.clientMetadata().client_id,
    });
    signedIn.set(state, payload);
    send(res, 200, 'Signed in', `<h1>Signed in</h1><p id="sub">${escapeHtml(String(payload.sub))}</p>`);
  };
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, 'RP error', `<p id="rp-error">${escapeHtml(String(err))}</p>`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    callbackUri: `${origin}/callback`,
    signedIn,
    async authorizationUrl(config, extra = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      pending.set(state, { config, verifier });
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${origin}/callback`, scope: 'openid email', state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      });
      return { url: url.toString(), state };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
