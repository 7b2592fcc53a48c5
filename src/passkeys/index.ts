/**
 * Passkeys (spec 70 §1; docs/passkeys.md): WebAuthn credentials of one user of one organization.
 *
 * Ceremonies (the edge names the flow with `ceremonyId`, an interaction's uid; challenges wait 300 s in
 * the ephemeral store and are used once):
 * - `registrationOptions(actor, orgId, userId, { ceremonyId, userVerification? })` → creation options;
 * - `register(actor, orgId, userId, { ceremonyId, response, name? })` → Passkey (audit `user.passkey.registered`);
 * - `authenticationOptions(orgId, { ceremonyId, purpose: 'sign_in' | 'second_factor', userId?, userVerification? })`;
 * - `authenticate(orgId, { ceremonyId, purpose, response, from, clientId? })` → PasskeyAssertion, or
 *   PasskeyRejected (audit `user.login.passkey` / `user.login.passkey.failed`).
 *
 * The user's passkeys: `list`, `countForUser`, `rename(actor, …)`, `remove(actor, …)` (audit
 * `user.passkey.removed`); GDPR `exportData`, `purgeForUser`.
 */
export { createPasskeyService, type PasskeyService, type ExportedPasskey } from './service.js';
export type { PasskeyServiceDeps } from './core.js';
export type { PasskeyAssertion, AuthenticationStart, AuthenticationFinish } from './authentication.js';
export type { RegistrationStart, RegistrationFinish, RegisteredPasskey } from './registration.js';
export { PasskeyRejected, PasskeyRegistrationRejected, SIGN_IN_FAILURES, type SignInFailure, type RegistrationFailure } from './errors.js';
export { CHALLENGE_TTL_SECONDS } from './challenges.js';
export { relyingPartyOf, relyingPartyName, type RelyingParty } from './relying-party.js';
export { PASSKEY_NAME_MAX_LENGTH, RenamePasskeyInput, type CeremonyPurpose, type Passkey, type UserVerification } from './schema.js';
