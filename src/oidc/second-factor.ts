import type { Context } from 'koa';
import { accountActor } from '../actors/index.js';
import {
  ACR_1FA,
  ACR_2FA,
  acrFor,
  amrFor,
  requiredSecondFactor,
  type FactorUse,
  type FirstFactor,
  type PasskeyUse,
  type SecondFactorMethod,
  type SecondFactorStep,
} from '../two-factor/index.js';
import type { User } from '../users/index.js';
import { requestOrigin } from './account-pages.js';
import { finishInteraction, isMailDeliverable, renderLoginPage, type Interaction } from './interaction.js';
import { offerPasskeyEnrolment } from './passkey-enrolment.js';
import type { OidcDeps } from './types.js';

/** A first factor as it is recorded: a password, a magic link, or a passkey assertion. */
export type FirstFactorUse = 'pwd' | 'magic_link' | { passkey: PasskeyUse };

/** How the sign-in started, for metrics (`porta_logins_total`); `session`: a stronger sign-in of a live session. */
export type SignInMethod = 'password' | 'magic_link' | 'passkey' | 'session';

/** What a first factor hands to `completeFirstFactor`. */
export interface FirstFactorResult {
  user: Pick<User, 'id' | 'organizationId'>;
  first: FirstFactorUse;
  method: SignInMethod;
  /** Audited with the account as actor when the sign-in completes, after any second factor (`user.login.magic_link`). */
  loginEvent?: string;
}

/**
 * A sign-in waiting for its second factor (spec 60 §4), kept server-side under the organization and the
 * interaction's uid, and living as long as the interaction: the browser only ever names the interaction,
 * whose engine cookie binds it to this browser. Nothing in it comes from the client.
 */
export interface PendingSecondFactor {
  organizationId: string;
  uid: string;
  userId: string;
  first: FirstFactorUse;
  /** The `amr` of the session being stepped up, kept in the new sign-in's `amr`. */
  sessionAmr: string[];
  method: SignInMethod;
  loginEvent?: string;
  kind: 'challenge' | 'enrol';
  /** `challenge`: the factors the user holds that the policy accepts; `enrol`: those they may set up. */
  methods: SecondFactorMethod[];
  /** The factor being set up, once chosen. */
  chosen?: 'email' | 'totp';
  /** An e-mailed code went out for this sign-in (the challenge page sends one on first display only). */
  isCodeSent?: boolean;
  /** An authenticator-app secret was issued for this sign-in: the setup page shows it again, not a new one. */
  isTotpStarted?: boolean;
  /** Verified, waiting for "Continue" on the recovery-codes page. */
  verified?: 'email' | 'totp' | 'recovery';
}

/** The login prompt's reason when only a second factor is missing from a live session's sign-in (second-factor-check.ts). */
export const SECOND_FACTOR_REASON = 'porta_second_factor';

const pendingKey = (orgId: string, uid: string) => `two-factor:pending:${orgId}:${uid}`;

/** Seconds the interaction has left; the engine counts in its own wall-clock seconds. */
function secondsLeft(it: Interaction): number {
  return Math.max(1, it.details.exp - Math.floor(Date.now() / 1000));
}

export async function findPendingSecondFactor(deps: OidcDeps, it: Interaction): Promise<PendingSecondFactor | null> {
  const raw = await deps.kv.get(pendingKey(it.org.id, it.details.uid));
  if (!raw) return null;
  const pending = JSON.parse(raw) as PendingSecondFactor;
  return pending.organizationId === it.org.id && pending.uid === it.details.uid ? pending : null;
}

export async function savePendingSecondFactor(deps: OidcDeps, it: Interaction, pending: PendingSecondFactor): Promise<void> {
  await deps.kv.set(pendingKey(it.org.id, it.details.uid), JSON.stringify(pending), { ttlSeconds: secondsLeft(it) });
}

/** `urn:porta:acr:2fa` asked for and one factor not acceptable (`acr_values` lists what the client accepts). */
export function isStepUpRequested(acrValues: unknown): boolean {
  const values = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  return values.includes(ACR_2FA) && !values.includes(ACR_1FA);
}

export function firstFactorOf(first: FirstFactorUse): FirstFactor {
  if (typeof first === 'object') return first.passkey.isUserVerified ? 'passkey_uv' : 'passkey';
  return first;
}

/** The first factor of a live session, read back from its `amr`. */
export function firstFactorOfSession(amr: readonly string[] = []): FirstFactorUse {
  if (amr.includes('hwk') || amr.includes('swk')) return { passkey: { isBackedUp: amr.includes('swk'), isUserVerified: amr.includes('user') } };
  return amr.includes('pwd') ? 'pwd' : 'magic_link';
}

/**
 * Spec 60 §4 for this user now: the organization's policy and the user's factors as they are at this
 * sign-in (a policy change applies to the next one). Setup offers only factors this Porta can deliver:
 * no authenticator apps without TWO_FACTOR_ENCRYPTION_KEY, no e-mailed codes without mail.
 */
export async function secondFactorStep(deps: OidcDeps, orgId: string, userId: string, firstFactor: FirstFactor, isStepUp: boolean): Promise<SecondFactorStep> {
  const status = await deps.twoFactor.status(orgId, userId);
  const step = requiredSecondFactor({
    policy: status.policy, enrolment: { method: status.enabled ? status.method : null, hasPasskey: status.passkeys > 0 }, firstFactor, isStepUp,
  });
  if (step.kind !== 'enrol') return step;
  const deliverable = step.methods.filter(
    (m) => (m !== 'totp' || deps.twoFactor.isTotpAvailable) && (m !== 'email' || isMailDeliverable(deps.config)),
  );
  return { kind: 'enrol', methods: deliverable.length > 0 ? deliverable : step.methods };
}

/** Where the pending sign-in continues: the challenge, or setup while a factor is still to be chosen or set up. */
export function secondFactorUrl(it: Interaction, pending: Pick<PendingSecondFactor, 'kind' | 'chosen'>): string {
  const base = `/${it.org.slug}/interaction/${encodeURIComponent(it.details.uid)}/two-factor`;
  return pending.kind === 'enrol' && pending.chosen !== 'email' ? `${base}/setup` : base;
}

async function askForSecondFactor(ctx: Context, deps: OidcDeps, it: Interaction, pending: PendingSecondFactor): Promise<void> {
  await savePendingSecondFactor(deps, it, pending);
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(secondFactorUrl(it, pending));
}

/**
 * The one way a first factor becomes a sign-in (password, magic link, passkey, and any later path): the
 * organization's policy decides (spec 60 §4, spec 70 §1); the sign-in completes, or this browser is sent
 * to the second factor's challenge or setup with the sign-in kept pending in the interaction.
 */
export async function completeFirstFactor(ctx: Context, deps: OidcDeps, it: Interaction, result: FirstFactorResult): Promise<void> {
  const step = await secondFactorStep(deps, it.org.id, result.user.id, firstFactorOf(result.first), isStepUpRequested(it.details.params.acr_values));
  const signIn = { organizationId: it.org.id, uid: it.details.uid, userId: result.user.id, first: result.first, sessionAmr: [], method: result.method, loginEvent: result.loginEvent };
  if (step.kind === 'none') return finishSignIn(ctx, deps, it, signIn);
  await askForSecondFactor(ctx, deps, it, { ...signIn, kind: step.kind, methods: step.methods });
}

/**
 * A live session whose sign-in is too weak for this request (the client asked for `urn:porta:acr:2fa`,
 * or the policy or the user's factors changed since): its user goes straight to the second factor, the
 * first one standing. False when that does not apply (then the login page asks for a fresh sign-in).
 */
export async function stepUpSession(ctx: Context, deps: OidcDeps, it: Interaction): Promise<boolean> {
  const session = it.details.session;
  const { reasons } = it.details.prompt;
  // Any other reason (no session, max_age, prompt=login, another subject asked for) needs a fresh first factor.
  if (!session?.accountId || reasons.length !== 1 || reasons[0] !== SECOND_FACTOR_REASON) return false;
  const user = await deps.users.findById(it.org.id, session.accountId);
  if (!user || user.status !== 'active') return false;
  const first = firstFactorOfSession(session.amr);
  const step = await secondFactorStep(deps, it.org.id, user.id, firstFactorOf(first), isStepUpRequested(it.details.params.acr_values));
  if (step.kind === 'none') return false;
  await askForSecondFactor(ctx, deps, it, {
    organizationId: it.org.id, uid: it.details.uid, userId: user.id, first, sessionAmr: session.amr ?? [], method: 'session', kind: step.kind, methods: step.methods,
  });
  return true;
}

/**
 * Completes the sign-in (spec 60 §2 step 9, §3, §4): records the login, audits the sign-in event, forgets
 * the pending second factor and hands the account to the engine with RFC 8176 `amr` and Porta's `acr`.
 */
export async function finishSignIn(
  ctx: Context,
  deps: OidcDeps,
  it: Interaction,
  signIn: Pick<PendingSecondFactor, 'userId' | 'first' | 'sessionAmr' | 'method' | 'loginEvent'>,
  second?: FactorUse,
): Promise<void> {
  const user = await deps.users.findById(it.org.id, signIn.userId);
  await deps.kv.delete(pendingKey(it.org.id, it.details.uid));
  if (!user || user.status !== 'active') {
    deps.metrics.login(signIn.method, 'failure');
    return renderLoginPage(ctx, deps, it, { error: deps.i18n.t(it.locale, 'login.invalid_credentials', {}, it.org.slug) }, 401);
  }
  // Spec 70 §1: the skippable offer of a passkey after a password sign-in holds the finish back once.
  if (await offerPasskeyEnrolment(ctx, deps, it, signIn, second)) return;
  const amr = [...new Set([...signIn.sessionAmr, ...amrFor(signIn.first, second)])];
  const acr = acrFor(signIn.first, second);
  await deps.users.recordLogin(accountActor(user, requestOrigin(ctx), 'login'), it.org.id, user.id, {
    eventType: signIn.loginEvent, clientId: String(it.details.params.client_id ?? ''),
  });
  await finishInteraction(ctx, it, { login: { accountId: user.id, amr, acr, remember: true } });
  deps.metrics.login(signIn.method, 'success');
}
