import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { accountActor, anonymousActor } from '../actors/index.js';
import { limitContext } from './endpoint-limits.js';
import { brandingOf, currentOrg, localeOf } from './pages.js';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

/** RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2 `interval`: what the device is told to wait between polls, and held to with `slow_down`. */
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.2 `expires_in` of a device code and its user code. */
export const DEVICE_CODE_TTL_SECONDS = 600;

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
type DevicePage = 'device-code' | 'device-confirm' | 'device-success';
type Translate = (key: string, vars?: Record<string, string>) => string;

/** Over the `device_user_code` limit: the user-code page again, 429 with `Retry-After`. */
class UserCodeRateLimited extends Error {
  readonly expose = true;
  readonly status = 429;
  readonly statusCode = 429;
  constructor(readonly retryAfter: number) {
    super('rate_limited');
    this.name = 'UserCodeRateLimited';
  }
}

/** The message of the user-code page for what the engine (or the limit) said about the last submission. */
function inputMessage(err: Error | undefined): { key: string; status: number } | undefined {
  if (!err) return undefined;
  switch (err.name) {
    case 'NoCodeError':
      return { key: 'device.code_missing', status: 400 };
    case 'NotFoundError':
      return { key: 'device.code_invalid', status: 400 };
    case 'ExpiredError':
      return { key: 'device.code_expired', status: 400 };
    case 'AlreadyUsedError':
      return { key: 'device.code_used', status: 400 };
    case 'AbortedError':
      return { key: 'device.denied', status: 200 };
    case 'UserCodeRateLimited':
      return { key: 'device.rate_limited', status: 429 };
    default: {
      // The engine's xsrf check: the form outlived its session state, or was not ours.
      const description = String((err as { error_description?: unknown }).error_description ?? '');
      return /xsrf|form details/.test(description) ? { key: 'errors.csrf', status: 400 } : { key: 'device.error', status: 400 };
    }
  }
}

/**
 * `features.deviceFlow` of the engine (RFC 8628): the engine's base-20 `XXXX-XXXX` user
 * codes (20^8 values, RFC 8628 §6.1), and Porta's branded, localized pages at `/{org}/auth/device`. The
 * pages post the engine's own `xsrf` field (a secret kept in the browser session) and need no script.
 */
export function deviceFlowFeature(deps: OidcDeps): DeviceFlowFeature {
  const render = (ctx: KoaContextWithOIDC, page: DevicePage, titleKey: string, data: (t: Translate) => Record<string, unknown>) => {
    const org = currentOrg(ctx);
    const locale = localeOf(deps, ctx, org, (ctx.oidc.params as Record<string, unknown> | undefined)?.ui_locales);
    const t: Translate = (key, vars) => deps.i18n.t(locale, key, vars, org.slug);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.renderer.render(page, { locale, orgSlug: org.slug, branding: brandingOf(org), pageTitle: t(titleKey), ...data(t) });
  };

  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    async userCodeInputSource(ctx, form, _out, err) {
      const message = inputMessage(err);
      if (err?.name === 'AbortedError') await auditDecision(deps, ctx, currentOrg(ctx), 'denied');
      const vars: Record<string, string> = {};
      if (err instanceof UserCodeRateLimited) {
        ctx.set('Retry-After', String(err.retryAfter));
        vars.minutes = String(Math.max(1, Math.ceil(err.retryAfter / 60)));
      }
      ctx.status = message?.status ?? 200;
      const typed = (err as { userCode?: unknown } | undefined)?.userCode ?? ctx.state.deviceUserCode;
      render(ctx, 'device-code', 'device.title', (t) => ({
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: xsrfOf(form),
        userCode: typeof typed === 'string' ? typed.slice(0, 64) : '',
        flash: { error: message ? t(message.key, vars) : undefined },
      }));
    },
    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      ctx.status = 200;
      render(ctx, 'device-confirm', 'device.title', () => ({
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: xsrfOf(form),
        userCode,
        clientName: client.clientName ?? client.clientId,
      }));
    },
    async successSource(ctx) {
      await auditDecision(deps, ctx, currentOrg(ctx), 'approved');
      const client = ctx.oidc.client;
      render(ctx, 'device-success', 'device.success_title', () => ({ clientName: client?.clientName ?? client?.clientId ?? '' }));
    },
  };
}

/** The engine's xsrf secret from the form it handed over: the one field of its form that Porta's pages post as is. */
function xsrfOf(form: string): string {
  const value = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (!value) throw new Error('device flow form without an xsrf field');
  return value;
}

/** `device.approved` (the success page) or `device.denied` (Deny on the confirmation or consent page). */
async function auditDecision(deps: OidcDeps, ctx: KoaContextWithOIDC, org: Organization, outcome: 'approved' | 'denied'): Promise<void> {
  const from = { ip: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined };
  const accountId = ctx.oidc.session?.accountId;
  const actor = accountId ? accountActor({ id: accountId, organizationId: org.id }, from, 'login') : anonymousActor(from, 'login');
  // Denied on the consent page, the engine has only the interaction that stood for the device code.
  const { DeviceCode, Interaction } = ctx.oidc.entities;
  const clientId = ctx.oidc.client?.clientId ?? DeviceCode?.clientId ?? (Interaction?.params as { client_id?: string } | undefined)?.client_id ?? null;
  const client = ctx.oidc.client ?? (clientId ? await ctx.oidc.provider.Client.find(clientId) : undefined);
  const internalId = (client?.metadata().porta as { internal_id?: string } | undefined)?.internal_id ?? null;
  await deps.audit.recordSafely(actor, {
    eventType: `device.${outcome}`,
    eventCategory: 'authentication',
    organizationId: org.id,
    userId: accountId ?? null,
    targetType: 'client',
    targetId: internalId,
    description: outcome === 'approved' ? 'Device authorization approved.' : 'Device authorization denied.',
    metadata: { clientId },
  });
}

/**
 * The parts of RFC 8628 the engine leaves to its host:
 * - wrong user codes count against `device_user_code` per client IP (a found code is given back);
 * - `verification_uri_complete` opens the user-code page with the code filled in (the engine would
 *   submit it with a script);
 * - the device authorization response names its `interval`, and a pending poll sooner than that after
 *   the previous one is `slow_down` (§3.5); a pending poll at that pace is not counted against the
 *   token endpoint's limit.
 */
export function installDeviceFlow(provider: Provider, deps: OidcDeps): void {
  limitUserCodeGuesses(provider, deps);
  provider.use(async (ctx: Context, next: Next) => {
    prefillUserCode(ctx);
    const oidcOf = () => (ctx as unknown as Partial<KoaContextWithOIDC>).oidc;
    try {
      await next();
    } catch (err) {
      const oidc = oidcOf();
      if (oidc?.route !== 'code_verification' || typeof oidc.session?.exp === 'number') throw err;
      // A refused submission is re-rendered with a new xsrf value kept in the browser session; a POST
      // without a live session (no cookie, an expired one, a cross-site form) has none to keep it in, and
      // the engine fails to save one. Start over on the page, which opens a session.
      ctx.status = 303;
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(oidc.urlFor('code_verification'));
      return;
    }
    const oidc = oidcOf();
    if (oidc?.route === 'device_authorization') answerDeviceAuthorization(ctx, oidc);
    if (oidc?.route === 'token' && (oidc.params as Record<string, unknown> | undefined)?.grant_type === DEVICE_CODE_GRANT) {
      await holdPollInterval(ctx, deps, currentTenant().org, String((oidc.params as Record<string, unknown>).device_code));
    }
  });
}

function limitUserCodeGuesses(provider: Provider, deps: OidcDeps): void {
  const DeviceCode = provider.DeviceCode;
  const find = DeviceCode.findByUserCode.bind(DeviceCode);
  DeviceCode.findByUserCode = async (userCode, options) => {
    const ctx = Provider.ctx;
    if (!ctx) return find(userCode, options);
    // Reserved before the lookup, so concurrent guesses cannot overshoot; a code that exists is given back.
    const decision = await deps.rateLimits.reserve('device_user_code', ctx.ip, limitContext(ctx, currentTenant().org));
    if (!decision.isAllowed) throw new UserCodeRateLimited(decision.retryAfter);
    const code = await find(userCode, options);
    if (code) await deps.rateLimits.forgive('device_user_code', ctx.ip);
    return code;
  };
}

/**
 * RFC 8628 §3.2: the device is told how long to wait between polls; RFC 6749 §5.2: a client registered
 * without the device grant is `unauthorized_client` (the engine says `invalid_request`).
 */
function answerDeviceAuthorization(ctx: Context, oidc: Partial<KoaContextWithOIDC>['oidc']): void {
  if (!isRecord(ctx.body)) return;
  if (ctx.status === 200) {
    ctx.body = { ...ctx.body, interval: POLL_INTERVAL_SECONDS };
  } else if (ctx.body.error === 'invalid_request' && oidc?.client && !oidc.client.grantTypeAllowed(DEVICE_CODE_GRANT)) {
    ctx.body = { error: 'unauthorized_client', error_description: 'the client is not allowed to use the device authorization grant' };
  }
}

const CODE_VERIFICATION_PATH = '/auth/device';

/** `GET /auth/device?user_code=…`: the code goes to the page's input instead of the engine's auto-submit. */
function prefillUserCode(ctx: Context): void {
  if (ctx.method !== 'GET' || ctx.path.toLowerCase().replace(/\/+$/, '') !== CODE_VERIFICATION_PATH) return;
  const query = new URLSearchParams(ctx.querystring);
  const userCode = query.get('user_code');
  if (userCode === null) return;
  query.delete('user_code');
  ctx.querystring = query.toString();
  ctx.state.deviceUserCode = userCode;
}

async function holdPollInterval(ctx: Context, deps: OidcDeps, org: Organization, deviceCode: string): Promise<void> {
  if (!isRecord(ctx.body) || ctx.body.error !== 'authorization_pending') return;
  const key = `oidc:device-poll:${org.id}:${createHash('sha256').update(deviceCode).digest('base64url')}`;
  let isOnTime = true;
  try {
    isOnTime = await deps.kv.set(key, '1', { ttlSeconds: POLL_INTERVAL_SECONDS, onlyIfAbsent: true });
  } catch (err) {
    deps.log.warn({ err }, 'oidc.device_poll.store_unavailable');
  }
  if (!isOnTime) {
    ctx.body = { error: 'slow_down', error_description: `poll at most every ${POLL_INTERVAL_SECONDS} seconds, and ${POLL_INTERVAL_SECONDS} more after each slow_down` };
    return;
  }
  await deps.rateLimits.forgive('token', ctx.ip);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Buffer.isBuffer(value);
}
