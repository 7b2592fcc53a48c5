import type { Context } from 'koa';
import { isMethodAllowed, type FactorUse } from '../two-factor/index.js';
import { effectiveMethods, isMailDeliverable, type Interaction } from './interaction.js';
import { passkeyBase } from './passkey-pages.js';
import type { PendingSecondFactor } from './second-factor.js';
import type { OidcDeps } from './types.js';

/** Whether a passkey would serve this user here: a sign-in method of the client, or a second factor the policy asks for. */
export function isPasskeyUsable(deps: OidcDeps, it: Interaction): boolean {
  if (effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config)).includes('passkey')) return true;
  return it.org.twoFactorPolicy !== 'optional' && isMethodAllowed(it.org.twoFactorPolicy, 'passkey');
}

/** The sign-in a passkey enrolment prompt holds back until the user adds a passkey or skips (spec 70 §1). */
export interface EnrolmentPrompt {
  organizationId: string;
  uid: string;
  signIn: Pick<PendingSecondFactor, 'userId' | 'first' | 'sessionAmr' | 'method' | 'loginEvent'>;
  second?: FactorUse;
  /** Added or skipped: the next finish goes through. */
  isAnswered: boolean;
}

const promptKey = (orgId: string, uid: string) => `passkey:enrol-prompt:${orgId}:${uid}`;

export async function findEnrolmentPrompt(deps: OidcDeps, it: Interaction): Promise<EnrolmentPrompt | null> {
  const raw = await deps.kv.get(promptKey(it.org.id, it.details.uid));
  if (!raw) return null;
  const prompt = JSON.parse(raw) as EnrolmentPrompt;
  return prompt.organizationId === it.org.id && prompt.uid === it.details.uid ? prompt : null;
}

export async function saveEnrolmentPrompt(deps: OidcDeps, it: Interaction, prompt: EnrolmentPrompt): Promise<void> {
  const ttlSeconds = Math.max(1, it.details.exp - Math.floor(Date.now() / 1000));
  await deps.kv.set(promptKey(it.org.id, it.details.uid), JSON.stringify(prompt), { ttlSeconds });
}

/**
 * Spec 70 §1: right after a password sign-in, when the organization asks for it (`passkey_enrolment_prompt`)
 * and a passkey would serve this user, the sign-in waits on the skippable `passkey-enrol` page. Called by
 * the sign-in's finish; true when it answered the request (a redirect to that page). Once the user added
 * a passkey or skipped, the next call lets the finish go through.
 */
export async function offerPasskeyEnrolment(
  ctx: Context, deps: OidcDeps, it: Interaction, signIn: EnrolmentPrompt['signIn'], second?: FactorUse,
): Promise<boolean> {
  if (signIn.method !== 'password' || !it.org.passkeyEnrolmentPrompt) return false;
  const earlier = await findEnrolmentPrompt(deps, it);
  if (earlier?.isAnswered) {
    await deps.kv.delete(promptKey(it.org.id, it.details.uid));
    return false;
  }
  if (!isPasskeyUsable(deps, it) || (await deps.passkeys.countForUser(it.org.id, signIn.userId)) > 0) return false;
  await saveEnrolmentPrompt(deps, it, { organizationId: it.org.id, uid: it.details.uid, signIn, second, isAnswered: false });
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(`${passkeyBase(it)}/enrol`);
  return true;
}
