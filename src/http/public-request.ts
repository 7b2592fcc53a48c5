import type { Context, Next } from 'koa';
import type { TLSSocket } from 'node:tls';
import type { TrustProxy } from '../config/index.js';
import { clientIp, clientProtocol, compileTrust } from './client-ip.js';

const ABSOLUTE_FORM = /^https?:\/\//i;

const PROTOCOL = Symbol('porta.protocol');
/** The issuer origin a request prototype's accessors were pinned to. */
const PINNED_TO = Symbol('porta.pinnedTo');

type PublicRequest = Context['request'] & { [PROTOCOL]?: 'http' | 'https' };

/**
 * The request as the public sees it, for the whole app (rate limits, lockout, audit, cookies, the engine):
 * `ctx.ip` and `ctx.protocol`/`ctx.secure` from trusted proxies only (see clientIp), and the host,
 * `ctx.href` and `ctx.URL` from ISSUER_BASE_URL, never from Host or X-Forwarded-Host, so every
 * absolute URL the engine builds (discovery, redirects, logout forms) names the issuer. The accessors
 * are defined once, on the app's request prototype (defining them on every request cost microseconds a
 * request); each request only records its client IP and protocol.
 */
export function publicRequest(options: { trustProxy: TrustProxy; issuerBaseUrl: string }) {
  const trust = compileTrust(options.trustProxy);
  const issuer = new URL(options.issuerBaseUrl);
  const accessors: PropertyDescriptorMap = {
    protocol: { configurable: true, get(this: PublicRequest) { return this[PROTOCOL]; } },
    host: { configurable: true, value: issuer.host },
    hostname: { configurable: true, value: issuer.hostname },
    href: { configurable: true, get(this: PublicRequest) { return `${issuer.origin}${pathAndQuery(this.originalUrl)}`; } },
    URL: { configurable: true, get(this: PublicRequest) { return URL.parse(`${issuer.origin}${pathAndQuery(this.originalUrl)}`) ?? Object.create(null); } },
  };
  return async function asThePublicSeesIt(ctx: Context, next: Next) {
    const socket = ctx.req.socket;
    const peer = socket.remoteAddress;
    const request = ctx.request as PublicRequest;
    request.ip = clientIp(peer, ctx.get('X-Forwarded-For'), trust);
    request[PROTOCOL] = clientProtocol(peer, ctx.get('X-Forwarded-Proto'), (socket as TLSSocket).encrypted === true, trust);
    const prototype = Object.getPrototypeOf(request) as Record<symbol, unknown>;
    if (prototype[PINNED_TO] === undefined) Object.defineProperties(prototype, { ...accessors, [PINNED_TO]: { value: issuer.origin } });
    // A prototype pinned to another issuer (two instances in one app): this request gets its own accessors.
    else if (prototype[PINNED_TO] !== issuer.origin) Object.defineProperties(request, accessors);
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
