import type { Configuration } from 'oidc-provider';
import type { RuntimeEnv } from '../config/index.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopback(url: URL | string | Request): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url instanceof Request ? url.url : String(url)).hostname);
  } catch {
    return false;
  }
}

/**
 * The engine's calls out to relying parties (a client's `jwks_uri`, back-channel logout tokens). The
 * engine hands every call a dispatcher that refuses loopback, private and other special-use addresses
 * (SSRF). In production that guard always holds. Outside production a loopback target is let through,
 * as client registration lets loopback URLs through there: a developer's relying party on localhost.
 */
export function outboundFetch(env: RuntimeEnv): NonNullable<Configuration['fetch']> {
  return (url, options) => {
    if (env !== 'production' && isLoopback(url)) {
      const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  };
}

/** Bytes read at most from a client's JWK Set (the engine's default is unbounded). */
export const CLIENT_JWKS_BODY_LIMIT = 64 * 1024;
