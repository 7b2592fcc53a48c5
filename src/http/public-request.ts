import type { Context, Next } from 'koa';
import type { TLSSocket } from 'node:tls';
import type { TrustProxy } from '../config/index.js';
import { clientIp, clientProtocol, compileTrust } from './client-ip.js';

const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * The request as the public sees it, for the whole app (rate limits, lockout, audit, cookies, the engine):
 * `ctx.ip` and `ctx.protocol`/`ctx.secure` from trusted proxies only (see clientIp), and the host,
 * `ctx.href` and `ctx.URL` from ISSUER_BASE_URL, never from Host or X-Forwarded-Host, so every
 * absolute URL the engine builds (discovery, redirects, logout forms) names the issuer.
 */
export function publicRequest(options: { trustProxy: TrustProxy; issuerBaseUrl: string }) {
  const trust = compileTrust(options.trustProxy);
  const issuer = new URL(options.issuerBaseUrl);
  return async function asThePublicSeesIt(ctx: Context, next: Next) {
    const socket = ctx.req.socket;
    const peer = socket.remoteAddress;
    ctx.request.ip = clientIp(peer, ctx.get('X-Forwarded-For'), trust);
    const protocol = clientProtocol(peer, ctx.get('X-Forwarded-Proto'), (socket as TLSSocket).encrypted === true, trust);
    const request = ctx.request;
    Object.defineProperties(request, {
      protocol: { value: protocol },
      host: { value: issuer.host },
      hostname: { value: issuer.hostname },
      href: { get: () => `${issuer.origin}${pathAndQuery(request.originalUrl)}` },
      URL: { get: () => URL.parse(`${issuer.origin}${pathAndQuery(request.originalUrl)}`) ?? Object.create(null) },
    });
    await next();
  };
}

/** An absolute-form request target (`GET http://other.example/x`) names a host too: keep its path only. */
function pathAndQuery(originalUrl: string): string {
  if (!ABSOLUTE_FORM.test(originalUrl)) return originalUrl;
  try {
    const u = new URL(originalUrl);
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}
