import { staticAssets } from '../pages/index.js';
import type { CeremonyPurpose } from '../passkeys/index.js';
import type { Interaction } from './interaction.js';
import type { OidcDeps } from './types.js';

/**
 * What `partials/passkey-ceremony.hbs` needs: the form the page's script fills with the authenticator's
 * answer and posts (CSRF token and all), where the script asks for the WebAuthn options, and the scripts.
 * Without JavaScript the form stays hidden and the page says passkeys need it.
 */
export interface PasskeyCeremonyView {
  purpose: CeremonyPurpose;
  action: string;
  optionsUrl: string;
  buttonLabel: string;
  isPrimary: boolean;
  /** Conditional UI (`autocomplete="username webauthn"`): passkeys offered in the e-mail field's autofill. */
  isConditional: boolean;
  /** Registration: the user may name the new passkey. */
  askName: boolean;
  libraryUrl: string;
  scriptUrl: string;
}

const BUTTON_LABELS: Record<CeremonyPurpose, string> = {
  sign_in: 'passkeys.sign_in',
  second_factor: 'passkeys.use_passkey',
  registration: 'passkeys.add_passkey',
};

const ACTIONS: Record<CeremonyPurpose, string> = { sign_in: 'sign-in', second_factor: 'verify', registration: 'enrol' };

export const passkeyBase = (it: Interaction) => `/${it.org.slug}/interaction/${encodeURIComponent(it.details.uid)}/passkey`;

export function passkeyCeremony(deps: OidcDeps, it: Interaction, purpose: CeremonyPurpose, options: { isPrimary?: boolean; isConditional?: boolean } = {}): PasskeyCeremonyView {
  const assets = staticAssets();
  return {
    purpose,
    action: `${passkeyBase(it)}/${ACTIONS[purpose]}`,
    optionsUrl: `${passkeyBase(it)}/options`,
    buttonLabel: deps.i18n.t(it.locale, BUTTON_LABELS[purpose], {}, it.org.slug),
    isPrimary: options.isPrimary ?? purpose !== 'sign_in',
    isConditional: options.isConditional ?? false,
    askName: purpose === 'registration',
    libraryUrl: assets.webauthnLibrary.urlPath,
    scriptUrl: assets.passkeyScript.urlPath,
  };
}
