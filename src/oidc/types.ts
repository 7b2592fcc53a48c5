import type { Config } from '../config/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { Metrics } from '../platform/metrics.js';
import type { I18n, Renderer } from '../pages/index.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import type { Client, ClientService } from '../clients/index.js';
import type { UserService } from '../users/index.js';
import type { ApplicationService } from '../applications/index.js';
import type { SigningKeyService } from '../keys/index.js';
import type { AuditService } from '../audit/index.js';
import type { SessionService } from '../sessions/index.js';
import type { RateLimitService } from '../rate-limits/index.js';
import type { AccessService, RbacService } from '../rbac/index.js';
import type { RegistrationService } from '../registration/index.js';
import type { BackchannelLogout } from './backchannel-logout.js';
import type { TwoFactorService } from '../two-factor/index.js';
import type { PasskeyService } from '../passkeys/index.js';

/** What the OIDC edge needs from the rest of Porta; app.ts wires it. */
export interface OidcDeps {
  config: Readonly<Config>;
  log: Log;
  clock: Clock;
  db: Db;
  kv: Kv;
  /** Sign-ins, lockouts, tokens issued and engines kept (no-ops unless METRICS_ENABLED). */
  metrics: Metrics;
  organizations: OrganizationService;
  applications: Pick<ApplicationService, 'findByIdOrSlug' | 'findResourceByIndicator'>;
  clients: ClientService;
  users: UserService;
  keys: SigningKeyService;
  audit: AuditService;
  /** The `admin_sessions` mirror (spec 10 §10). */
  sessions: Pick<SessionService, 'mirrorSaved' | 'mirrorDestroyed' | 'purgeOldSoon'>;
  rateLimits: RateLimitService;
  /** A user's roles, permissions and custom claim values in the client's application (spec 10 §4). */
  access: AccessService;
  /** Custom claim names the engine must know (spec 10 §13). */
  rbac: Pick<RbacService, 'claimNames'>;
  /** Delivers logout tokens to relying parties, off the request path (OIDC Back-Channel Logout 1.0). */
  backchannelLogout: BackchannelLogout;
  /** Dynamic client registration (RFC 7591/7592) of organizations that turned it on (spec 70 §5). */
  registration: Pick<RegistrationService, 'findUsableToken' | 'register' | 'updateRegistered' | 'removeRegistered'>;
  /** Second factors (spec 60 §4): the sign-in pages call its use cases with the account as actor. */
  twoFactor: TwoFactorService;
  /** Passkeys (spec 70 §1): the login page's usernameless sign-in, the second factor and enrolment. */
  passkeys: PasskeyService;
  ttl: TtlSettings;
  renderer: Renderer;
  i18n: I18n;
}

/** Token lifetimes in seconds, read synchronously by the engine (refreshed from system_config). */
export interface TtlSettings {
  get(key: TtlKey): number;
}

export type TtlKey =
  | 'access_token_ttl'
  | 'id_token_ttl'
  | 'refresh_token_ttl'
  | 'authorization_code_ttl'
  | 'session_ttl'
  | 'interaction_ttl';

export interface OrgContext {
  org: Organization;
  issuer: string;
}

export type { Organization, Client };
