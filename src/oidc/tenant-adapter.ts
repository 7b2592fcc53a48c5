import type { Adapter, AdapterFactory } from 'oidc-provider';
import { ACCOUNT_PORTAL_CLIENT_ID, accountPortalClient, toEngineMetadata } from '../clients/index.js';
import { createAdapterFactory, type PortaAdapterFactory } from './adapter.js';
import { registrationStore } from './registration.js';
import { withConsoleUris } from './console-client.js';
import { currentTenant, memoized, type TenantScope } from './tenant-scope.js';
import type { OidcDeps } from './types.js';

const METHODS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;

/** The organization's adapters (spec 10 §8), built once per request from its scope. */
function adaptersOf(deps: OidcDeps, scope: TenantScope): PortaAdapterFactory {
  return memoized(scope, 'adapters', () => {
    const { org } = scope;
    return createAdapterFactory({
      db: deps.db,
      kv: deps.kv,
      log: deps.log,
      clock: deps.clock,
      organizationId: org.id,
      mirror: deps.sessions,
      findClient: async (clientId: string) => {
        // Spec 70 §2: the account portal's built-in client, derived per organization (clients/account-portal.ts).
        if (clientId === ACCOUNT_PORTAL_CLIENT_ID) return org.accountPortalEnabled ? accountPortalClient(org, deps.config.issuerBaseUrl) : undefined;
        const client = await deps.clients.findByClientId(org.id, clientId);
        if (!client || client.status !== 'active') return undefined;
        // Spec 20 §5.3: clients of an inactive or archived application fail with invalid_client.
        const application = await deps.applications.findByIdOrSlug(client.applicationId);
        return application?.status === 'active' ? withConsoleUris(toEngineMetadata(client), org, deps.config.issuerBaseUrl) : undefined;
      },
      // Dynamic registration (spec 70 §5): initial access tokens from Porta's store, client writes through the clients domain.
      ...registrationStore(deps, org),
    });
  });
}

/**
 * The `adapter` option of the shared engine. The engine asks once per model and keeps what it gets, so
 * each call is routed to the adapter of the organization in scope: every artifact is stored with, and
 * only found for, that organization (the adapter filters PostgreSQL rows and checks Kv values by it).
 * Outside a scope every call throws.
 */
export function tenantAdapters(deps: OidcDeps): AdapterFactory {
  return (model: string): Adapter => {
    const current = (): Adapter => {
      const scope = currentTenant();
      return memoized(scope, `adapter:${model}`, () => adaptersOf(deps, scope)(model) as Adapter);
    };
    return Object.fromEntries(METHODS.map((method) => [method, (...args: unknown[]) => (current()[method] as (...a: unknown[]) => unknown)(...args)])) as unknown as Adapter;
  };
}
