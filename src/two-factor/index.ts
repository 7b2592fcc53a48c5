/**
 * Second factors (spec 60 §4, spec 70 §1, spec 20 §5.6; docs/two-factor.md).
 *
 * Pure rules, for the sign-in edge and the engine:
 * - `requiredSecondFactor({ policy, enrolment: { method, hasPasskey }, firstFactor, isStepUp? })` → `none`,
 *   `challenge` or `enrol` with the methods allowed (`email`, `totp`, `passkey`);
 * - `amrFor(first, second?)` / `acrFor(first, second?)`: RFC 8176 `amr` and `urn:porta:acr:1fa|2fa`.
 *
 * Use cases (`TwoFactorService`; `actor` = `accountActor(user, from, 'login')` during a sign-in):
 * - `status(orgId, userId)`;
 * - `startTotpEnrolment(actor, orgId, userId)` → `{ secret, otpauthUrl, qrCodeDataUri }`;
 * - `resumeTotpEnrolment(actor, orgId, userId)` → the same for the enrolment still pending, or null;
 * - `confirmTotpEnrolment(actor, orgId, userId, code)` → `{ recoveryCodes }`, throws `invalid_two_factor_code`;
 * - `sendEmailOtp(actor, orgId, userId, { locale?, isResend? })`;
 * - `verify(actor, orgId, userId, { code, codeType })` → `{ ok: true, method, … } | { ok: false, reason }`;
 * - `enableEmail(actor, orgId, userId)` → `{ recoveryCodes }`;
 * - the owner (account portal): `disableOwn(actor, orgId, userId, { code, codeType })` after a fresh code of the
 *   factor (or a recovery code), refused while a required policy would be left without an accepted factor;
 *   `regenerateRecoveryCodes` with the account actor;
 * - admin: `disable`, `reset`, `regenerateRecoveryCodes(actor, orgId, userId)`;
 * - `notifyFactorChange(orgId, userId, change, details?)`: the notice for changes made elsewhere (passkeys);
 * - GDPR: `exportData(orgId, userId)`, `purgeForUser(orgId, userId)`.
 */
export { createTwoFactorService, type TwoFactorService, type TwoFactorStatus, type TwoFactorExport } from './service.js';
export type { TwoFactorServiceDeps } from './core.js';
export type { TotpEnrolmentStart, RecoveryCodesIssued } from './enrolment.js';
export type { CodeType, VerifyFailure, VerifyResult } from './verify.js';
export type { RegeneratedRecoveryCodes } from './admin.js';
export type { FactorProof } from './self-service.js';
export { FACTOR_CHANGES, type FactorChange, type FactorChangeDetails } from './notify.js';
export {
  ACR_1FA,
  ACR_2FA,
  ACR_VALUES_SUPPORTED,
  acrFor,
  allowedMethods,
  amrFor,
  isMethodAllowed,
  requiredSecondFactor,
  type EnrolledMethod,
  type FactorUse,
  type FirstFactor,
  type PasskeyUse,
  type SecondFactorInput,
  type SecondFactorMethod,
  type SecondFactorStep,
  type TwoFactorPolicy,
} from './policy.js';
export { TWO_FACTOR_POLICIES } from '../organizations/index.js';
export { MAX_LIVE_OTP_CODES, MAX_OTP_ATTEMPTS } from './otp.js';
export { RECOVERY_ALPHABET, RECOVERY_CODE_COUNT, normalizeRecoveryCode } from './recovery.js';
export { TOTP_DIGITS, TOTP_PERIOD_SECONDS, totpCodeAt } from './totp.js';
export { twoFactorNotEnabled, twoFactorRequired } from './errors.js';
