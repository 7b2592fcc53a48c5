import type { Config } from '../config/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { Renderer } from '../http/pages/render.js';
import type { I18n } from '../http/pages/i18n.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import type { Client, ClientService } from '../clients/index.js';
import type { UserService } from '../users/index.js';
import type { SigningKeyService } from '../keys/index.js';

/** What the OIDC edge needs from the rest of Porta; app.ts wires it. */
export interface OidcDeps {
  config: Readonly<Config>;
  log: Log;
  clock: Clock;
  db: Db;
  kv: Kv;
  organizations: OrganizationService;
  clients: ClientService;
  users: UserService;
  keys: SigningKeyService;
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
