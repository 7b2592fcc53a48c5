import { AppError } from '../platform/errors.js';
import { ADMIN_PERMISSIONS, type AdminPermission } from './catalog.js';

/**
 * Who performs a use case. Every write method of a domain service takes one, checks what it may do,
 * and records it in the audit entry written in the same transaction as the change.
 *
 * - `admin`: a user of the admin organization holding admin roles (Admin API, console).
 * - `service_account`: a client-credentials client of the admin organization holding admin roles.
 * - `cli_direct`: the CLI on the database itself (spec 30 §1: database access is the trust boundary).
 * - `account`: a user acting on their own account (account portal, account flows).
 * - `system`: Porta itself (bootstrap, seed, timers, automatic lockout).
 * - `anonymous`: someone not (yet) signed in, known only by where the request came from.
 * - `registration`: a relying party registering itself (RFC 7591) with an initial access token, or managing
 *   its own registration (RFC 7592) with its registration access token.
 */
export type ActorKind = 'admin' | 'service_account' | 'cli_direct' | 'account' | 'system' | 'anonymous' | 'registration';

/** The edge a change came through; the audit event is the same whichever it is. */
export type ActorSource = 'api' | 'cli-direct' | 'bulk' | 'import' | 'seed' | 'bootstrap' | 'account' | 'login' | 'system' | 'registration';

export interface Actor {
  kind: ActorKind;
  /** The acting user (admin or account owner); null for service accounts, the CLI and the system. */
  userId: string | null;
  /** The service account's internal client id. */
  clientId: string | null;
  /** The actor's own organization (the admin organization for admins and service accounts). */
  organizationId: string | null;
  /**
   * A readable name for the audit trail: the service account's name, the OS user of the CLI. Never a
   * user's e-mail: audit rows hold no personal data beyond ids (spec 50 §6).
   */
  name: string | null;
  permissions: ReadonlySet<AdminPermission>;
  /** Holds `porta-super-admin` (the CLI in direct mode and the system count as one). */
  isSuperAdmin: boolean;
  source: ActorSource;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface RequestOrigin {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

const ALL: ReadonlySet<AdminPermission> = new Set(ADMIN_PERMISSIONS);
const NONE: ReadonlySet<AdminPermission> = new Set();

function origin(o: RequestOrigin = {}): Pick<Actor, 'ip' | 'userAgent' | 'requestId'> {
  return { ip: o.ip || null, userAgent: o.userAgent || null, requestId: o.requestId || null };
}

/** Porta itself: every permission, never a protected-target exception. */
export function systemActor(source: ActorSource = 'system', name: string | null = null): Actor {
  return { kind: 'system', userId: null, clientId: null, organizationId: null, name, permissions: ALL, isSuperAdmin: true, source, ...origin() };
}

/** The CLI in direct mode: the operator holds the database, so holds everything (spec 30 §1). */
export function cliDirectActor(osUser: string, from?: RequestOrigin): Actor {
  return { kind: 'cli_direct', userId: null, clientId: null, organizationId: null, name: osUser, permissions: ALL, isSuperAdmin: true, source: 'cli-direct', ...origin(from) };
}

export function adminActor(
  admin: { userId: string; organizationId: string; permissions: ReadonlySet<AdminPermission>; isSuperAdmin: boolean },
  from?: RequestOrigin,
): Actor {
  return {
    kind: 'admin', userId: admin.userId, clientId: null, organizationId: admin.organizationId, name: null,
    permissions: admin.permissions, isSuperAdmin: admin.isSuperAdmin, source: 'api', ...origin(from),
  };
}

export function serviceAccountActor(
  account: { clientId: string; name: string; organizationId: string; permissions: ReadonlySet<AdminPermission>; isSuperAdmin: boolean },
  from?: RequestOrigin,
): Actor {
  return {
    kind: 'service_account', userId: null, clientId: account.clientId, organizationId: account.organizationId, name: account.name,
    permissions: account.permissions, isSuperAdmin: account.isSuperAdmin, source: 'api', ...origin(from),
  };
}

/** A user acting on their own account: no admin permission at all. */
export function accountActor(user: { id: string; organizationId: string }, from?: RequestOrigin, source: ActorSource = 'account'): Actor {
  return { kind: 'account', userId: user.id, clientId: null, organizationId: user.organizationId, name: null, permissions: NONE, isSuperAdmin: false, source, ...origin(from) };
}

/** Someone not signed in (a failed sign-in, a rate-limited request): no permission at all. */
export function anonymousActor(from?: RequestOrigin, source: ActorSource = 'login'): Actor {
  return { kind: 'anonymous', userId: null, clientId: null, organizationId: null, name: null, permissions: NONE, isSuperAdmin: false, source, ...origin(from) };
}

/**
 * A relying party at the registration endpoint: `name` says which credential it holds (the initial access
 * token's id, or its registration access token); `clientId` is its own client once registered. It holds
 * only the permissions given here, and the registration edge uses it on that one client alone.
 */
export function registrationActor(
  registrant: { organizationId: string; name: string; clientId?: string | null; permissions?: readonly AdminPermission[] },
  from?: RequestOrigin,
): Actor {
  return {
    kind: 'registration', userId: null, clientId: registrant.clientId ?? null, organizationId: registrant.organizationId, name: registrant.name,
    permissions: new Set(registrant.permissions ?? []), isSuperAdmin: false, source: 'registration', ...origin(from),
  };
}

/** The same actor reaching a use case through another edge (bulk, import). */
export function viaSource(actor: Actor, source: ActorSource): Actor {
  return actor.source === source ? actor : { ...actor, source };
}

export const forbidden = (missing: readonly AdminPermission[]) =>
  new AppError('forbidden', 'forbidden', 'You lack a permission this operation requires.', { missing: [...missing] });

/** Throws `forbidden` with `details.missing` unless the actor holds every listed permission. */
export function authorize(actor: Actor, ...required: AdminPermission[]): void {
  const missing = required.filter((p) => !actor.permissions.has(p));
  if (missing.length > 0) throw forbidden(missing);
}

/** True when the actor holds every permission of `permissions`. */
export function holdsAll(actor: Actor, permissions: Iterable<string>): boolean {
  for (const p of permissions) if (!actor.permissions.has(p as AdminPermission)) return false;
  return true;
}

/** Only super-admins (spec 20 §3.3, issue 9 items 8 and 10). */
export function requireSuperAdmin(actor: Actor, message: string): void {
  if (!actor.isSuperAdmin) throw new AppError('forbidden', 'protected_resource', message);
}
