import type { MailService } from '../mail/index.js';
import type { Organization } from '../organizations/index.js';
import type { User } from '../users/index.js';

/** Every change of a user's factors (issue 15 item 5), each named in the `two_factor_changed` e-mail. */
export const FACTOR_CHANGES = [
  'totp_enrolled',
  'email_enrolled',
  'disabled',
  'reset',
  'recovery_codes_regenerated',
  'recovery_code_used',
  'passkey_added',
  'passkey_removed',
] as const;
export type FactorChange = (typeof FACTOR_CHANGES)[number];

export interface FactorChangeDetails {
  /** Recovery codes left (`recovery_code_used`). */
  remaining?: number;
  /** The passkey's name (`passkey_added`, `passkey_removed`). */
  passkeyName?: string | null;
}

/**
 * Queues the notice to the user in the caller's transaction: sent after commit, dropped on rollback. It
 * says what changed and when, never a code or secret, and tells the user to act if it was not them.
 */
export async function sendFactorChangeNotice(
  mail: Pick<MailService, 'enqueue'>, user: Pick<User, 'organizationId' | 'email' | 'locale' | 'givenName'>, org: Pick<Organization, 'name' | 'branding'>,
  change: FactorChange, at: Date, details: FactorChangeDetails = {},
): Promise<void> {
  await mail.enqueue({
    organizationId: user.organizationId, to: user.email, template: 'two_factor_changed', locale: user.locale,
    data: {
      change, changedAt: at.toISOString(), userName: user.givenName ?? null, organizationName: org.branding.companyName ?? org.name,
      ...(details.remaining !== undefined ? { remaining: details.remaining } : {}),
      ...(details.passkeyName ? { passkeyName: details.passkeyName } : {}),
    },
  });
}
