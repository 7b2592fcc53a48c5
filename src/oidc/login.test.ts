import http from 'node:http';
import net from 'node:net';
import Koa from 'koa';
import compose from 'koa-compose';
import { describe, expect, it } from 'vitest';
import { createLog } from '../platform/log.js';
import type { AuthenticateResult } from '../users/index.js';
import { passwordLoginSteps } from './login.js';
import type { ProviderRegistry } from './registry.js';
import type { OidcDeps, Organization } from './types.js';

const org = {
  id: '00000000-0000-4000-8000-000000000001', slug: 'acme', name: 'Acme', status: 'active',
  defaultLocale: 'en', defaultLoginMethods: ['password'], branding: {},
} as unknown as Organization;
const USER = { id: 'user-1', organizationId: org.id, email: 'ann@example.com' };

interface Setup {
  prompt?: string;
  loginMethods?: string[];
  isExpired?: boolean;
  retryAfter?: number;
  /** The per-IP failure limit refuses (password spraying). */
  sprayRetryAfter?: number;
  locked?: boolean;
  /** The organization's two-factor policy and whether the user holds a TOTP factor. */
  twoFactor?: { policy: string; method: 'totp' | 'email' | null };
}

/** The login steps over a fake engine and fake services: what each step did, in memory. */
function setup(options: Setup = {}) {
  const seen = { counted: [] as string[], hits: [] as string[], resets: [] as string[], reserved: [] as string[], forgiven: [] as string[], authenticated: [] as string[], logins: [] as string[], audit: [] as string[], ended: [] as string[], results: [] as unknown[] };
  const provider = {
    interactionDetails: async () => {
      if (options.isExpired) throw new Error('interaction not found');
      return { uid: 'uid-1', exp: Math.floor(Date.now() / 1000) + 600, prompt: { name: options.prompt ?? 'login', reasons: ['no_session'], details: {} }, params: { client_id: 'app' } };
    },
    Client: { find: async () => ({ metadata: () => ({ client_name: 'App', redirect_uris: ['https://app.example/cb'], porta: { login_methods: options.loginMethods } }) }) },
    interactionResult: async (_req: unknown, _res: unknown, result: unknown) => {
      seen.results.push(result);
      return 'https://op.example/acme/auth/authorize/uid-1';
    },
  };
  const authenticate = async (_orgId: string, email: string, password: string): Promise<AuthenticateResult> => {
    seen.authenticated.push(email);
    if (email.toLowerCase() !== USER.email) return { ok: false, reason: 'unknown_user' };
    if (password !== 'right') return { ok: false, reason: 'bad_password', userId: USER.id, ...(options.locked ? { locked: true, failedCount: 5, threshold: 5 } : {}) };
    return { ok: true, user: USER } as AuthenticateResult;
  };
  const kv = new Map<string, string>();
  const twoFactor = options.twoFactor ?? { policy: 'optional', method: null };
  const deps = {
    config: { env: 'test', smtp: { host: undefined } },
    kv: {
      set: async (key: string, value: string) => Boolean(kv.set(key, value)),
      get: async (key: string) => kv.get(key) ?? null,
      delete: async (key: string) => Number(kv.delete(key)),
    },
    twoFactor: {
      isTotpAvailable: true,
      status: async () => ({ enabled: twoFactor.method !== null, method: twoFactor.method, passkeys: 0, policy: twoFactor.policy }),
    },
    log: createLog({ env: 'test', level: 'info' }),
    renderer: {
      render: (name: string, data: Record<string, unknown>) =>
        JSON.stringify({ name, error: (data.flash as { error?: string } | undefined)?.error, email: data.email, message: data.errorMessage }),
    },
    i18n: {
      locales: () => ['en'],
      resolve: () => 'en',
      t: (_locale: string, key: string, vars: Record<string, unknown> = {}) => (Object.keys(vars).length > 0 ? `${key} ${JSON.stringify(vars)}` : key),
    },
    rateLimits: {
      hit: async (_scope: string, key: string) => {
        seen.hits.push(key);
        return options.retryAfter ? { isAllowed: false, remaining: 0, retryAfter: options.retryAfter } : { isAllowed: true, remaining: 4, retryAfter: 0 };
      },
      reset: async (_scope: string, key: string) => void seen.resets.push(key),
      reserve: async (scope: string, key: string) => {
        seen.reserved.push(`${scope} ${key}`);
        return options.sprayRetryAfter ? { isAllowed: false, remaining: 0, retryAfter: options.sprayRetryAfter } : { isAllowed: true, remaining: 49, retryAfter: 0 };
      },
      forgive: async (scope: string, key: string) => void seen.forgiven.push(`${scope} ${key}`),
    },
    users: {
      authenticate,
      findById: async (_orgId: string, id: string) => (id === USER.id ? { ...USER, status: 'active' } : null),
      recordLogin: async (_actor: unknown, _orgId: string, id: string) => void seen.logins.push(id),
    },
    audit: { recordSafely: async (...args: unknown[]) => void seen.audit.push((args.at(-1) as { eventType: string }).eventType) },
    metrics: { login: (method: string, outcome: string) => void seen.counted.push(`${method} ${outcome}`), lockout: () => void seen.counted.push('lockout') },
    sessions: { endAllForUser: async (_orgId: string, id: string) => void seen.ended.push(id), mirrorSaved: () => undefined, mirrorDestroyed: () => undefined, purgeOldSoon: () => undefined },
  } as unknown as OidcDeps;
  const registry = { providerFor: async () => provider } as unknown as ProviderRegistry;
  return { seen, kv, run: compose(passwordLoginSteps(deps, registry)) };
}

/** A POSTed login form as Koa sees it, the body already read (as `readBodies` leaves a chunked one). */
function loginRequest(form: Record<string, string>, csrfCookie = 'token') {
  const body = Buffer.from(new URLSearchParams(form).toString());
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'POST';
  req.url = '/interaction/uid-1/login';
  req.headers = { host: 'op.example', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), cookie: `_csrf=${csrfCookie}` };
  req.body = body;
  const ctx = new Koa().createContext(req, new http.ServerResponse(req));
  ctx.params = { uid: 'uid-1' };
  ctx.state.org = org;
  return ctx;
}

const page = (ctx: Koa.Context) => JSON.parse(String(ctx.body)) as { name: string; error?: string; email?: string; message?: string };

describe('password sign-in steps', () => {
  it('runs as named steps, in order', () => {
    const steps = passwordLoginSteps({} as OidcDeps, {} as ProviderRegistry).map((step) => step.name);
    expect(steps).toEqual([
      'renderInteractionFailures', 'renderRejections', 'loadInteractionDetails', 'readLoginForm', 'checkCsrf', 'checkLoginPrompt',
      'checkPasswordMethod', 'limitAttempts', 'limitFailuresPerIp', 'verifyPassword', 'auditAttempt', 'rejectFailedAttempt', 'clearAttempts', 'completeLogin',
    ]);
  });

  it('signs in: clears the attempts, records the login and hands the account to the engine', async () => {
    const { seen, run } = setup();
    const ctx = loginRequest({ _csrf: 'token', email: ' Ann@example.com ', password: 'right' });
    await run(ctx);
    expect(ctx.status).toBe(303);
    expect(ctx.response.get('Location')).toBe('https://op.example/acme/auth/authorize/uid-1');
    expect(seen.hits).toEqual([`${org.id}|${ctx.ip}|ann@example.com`]);
    expect(seen.resets).toEqual(seen.hits);
    expect(seen.reserved).toEqual([`login_ip_failures ${org.id}|${ctx.ip}`]);
    expect(seen.forgiven).toEqual(seen.reserved);
    expect(seen.logins).toEqual([USER.id]);
    expect(seen.audit).toEqual(['user.login.password.success']);
    expect(seen.results).toEqual([{ login: { accountId: USER.id, amr: ['pwd'], acr: 'urn:porta:acr:1fa', remember: true } }]);
    expect(seen.counted).toEqual(['password success']);
  });

  it('keeps the sign-in pending and sends the browser to the second factor the policy requires', async () => {
    for (const [twoFactor, path] of [[{ policy: 'required_totp', method: null }, '/two-factor/setup'], [{ policy: 'optional', method: 'totp' }, '/two-factor']] as const) {
      const { seen, kv, run } = setup({ twoFactor });
      const ctx = loginRequest({ _csrf: 'token', email: 'ann@example.com', password: 'right' });
      await run(ctx);
      expect([ctx.status, ctx.response.get('Location')]).toEqual([303, `/acme/interaction/uid-1${path}`]);
      // Not signed in yet: no login recorded, nothing handed to the engine.
      expect([seen.logins, seen.results, seen.counted]).toEqual([[], [], []]);
      const pending = JSON.parse(kv.get(`two-factor:pending:${org.id}:uid-1`)!) as Record<string, unknown>;
      expect(pending).toMatchObject({ organizationId: org.id, uid: 'uid-1', userId: USER.id, first: 'pwd', method: 'password' });
      expect(pending.kind).toBe(path === '/two-factor' ? 'challenge' : 'enrol');
    }
  });

  it('answers an unknown e-mail and a wrong password alike', async () => {
    const answers = [];
    for (const form of [{ email: 'ann@example.com', password: 'wrong' }, { email: 'bob@example.com', password: 'wrong' }]) {
      const { seen, run } = setup();
      const ctx = loginRequest({ _csrf: 'token', ...form });
      await run(ctx);
      expect(seen.audit).toEqual(['user.login.password.failed']);
      expect(seen.resets).toEqual([]);
      // A failure keeps its reservation against the per-IP failure limit.
      expect([seen.reserved.length, seen.forgiven]).toEqual([1, []]);
      answers.push({ status: ctx.status, error: page(ctx).error, name: page(ctx).name, counted: seen.counted });
    }
    expect(answers[0]).toEqual({ status: 401, error: 'login.invalid_credentials', name: 'login', counted: ['password failure'] });
    expect(answers[1]).toEqual(answers[0]);
  });

  it('refuses a missing or wrong CSRF token before counting the attempt, keeping the e-mail', async () => {
    const { seen, run } = setup();
    const ctx = loginRequest({ _csrf: 'other', email: 'ann@example.com', password: 'right' });
    await run(ctx);
    expect([ctx.status, page(ctx).name, page(ctx).error, page(ctx).email]).toEqual([400, 'login', 'errors.csrf', 'ann@example.com']);
    expect(seen.hits).toEqual([]);
    expect(seen.authenticated).toEqual([]);
  });

  it('shows the error page for an expired interaction or one that is not at its login prompt', async () => {
    for (const [options, message] of [[{ isExpired: true }, 'errors.interaction_expired'], [{ prompt: 'consent' }, 'errors.generic']] as const) {
      const { seen, run } = setup(options);
      const ctx = loginRequest({ _csrf: 'token', email: 'ann@example.com', password: 'right' });
      await run(ctx);
      expect([ctx.status, page(ctx).name, page(ctx).message]).toEqual([400, 'error', message]);
      expect(seen.hits).toEqual([]);
    }
  });

  it('refuses password sign-in when the client does not offer it', async () => {
    const { seen, run } = setup({ loginMethods: ['magic_link'] });
    const ctx = loginRequest({ _csrf: 'token', email: 'ann@example.com', password: 'right' });
    await run(ctx);
    expect([ctx.status, page(ctx).error]).toEqual([403, 'login.method_unavailable']);
    expect(seen.hits).toEqual([]);
    expect(seen.audit).toEqual(['security.login_method_disabled']);
  });

  it('stops a rate-limited attempt before the password is checked, with Retry-After', async () => {
    const { seen, run } = setup({ retryAfter: 61 });
    const ctx = loginRequest({ _csrf: 'token', email: 'ann@example.com', password: 'right' });
    await run(ctx);
    expect([ctx.status, ctx.response.get('Retry-After'), page(ctx).error]).toEqual([429, '61', 'login.rate_limited {"minutes":"2"}']);
    expect(seen.authenticated).toEqual([]);
    expect(seen.counted).toEqual(['password rate_limited']);
    expect(seen.reserved).toEqual([]);
  });

  it('stops an attempt over the per-IP failure limit before the password is checked', async () => {
    const { seen, run } = setup({ sprayRetryAfter: 900 });
    const ctx = loginRequest({ _csrf: 'token', email: 'someone-else@example.com', password: 'Summer2025!' });
    await run(ctx);
    expect([ctx.status, ctx.response.get('Retry-After'), page(ctx).error, page(ctx).email]).toEqual([429, '900', 'login.rate_limited {"minutes":"15"}', 'someone-else@example.com']);
    expect(seen.authenticated).toEqual([]);
    expect(seen.forgiven).toEqual([]);
  });

  it('audits the lock an attempt caused, and leaves the account\'s live sessions alone', async () => {
    const { seen, run } = setup({ locked: true });
    const ctx = loginRequest({ _csrf: 'token', email: 'ann@example.com', password: 'wrong' });
    await run(ctx);
    expect(ctx.status).toBe(401);
    // An automatic lock only stops new sign-ins: failing on purpose must not log the owner out.
    expect(seen.ended).toEqual([]);
    expect(seen.audit).toEqual(['user.login.password.failed', 'user.locked']);
    expect(seen.counted).toEqual(['password failure', 'lockout']);
  });
});
