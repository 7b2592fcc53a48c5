import type { Adapter, AdapterFactory } from 'oidc-provider';
import { ACCOUNT_PORTAL_CLIENT_ID, accountPortalClient, toEngineMetadata } from '../clients/index.js';
import { createAdapterFactory, type PortaAdapterFactory } from './adapter.js';
import { registrationStore } from './registration.js';
import { withConsoleUris } from './console-client.js';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

const METHODS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;

/**
 * The engine's metadata of a client, made once per client record (the per-process copy of the clients
 * domain, replaced when the client, a secret or its application changes) and handed out as the same
 * object while the client, application and organization records are the same: the engine's built
 * client is then found by that object (engine-clients.ts) instead of hashing the metadata per request.
 */
const engineMetadata = new WeakMap<object, { application: object; org: Organization; metadata: object }>();
/** The account portal's client of each organization record, likewise one object while the record is the same. */
const portalMetadata = new WeakMap<Organization, object>();

/** One organization's adapters and the per-model adapters made of them. */
interface OrganizationAdapters {
  factory: PortaAdapterFactory;
  models: Map<string, Adapter>;
}

/**
 * The organization's adapters (spec 10 §8), built once per organization record: the record in hand is
 * the per-process copy of the tenant lookup, replaced when the organization changes, so a changed
 * organization gets new adapters and an unused one's are dropped with its record. Nothing in them is
 * per request: what a request shares between models is keyed by the engine's request (adapter-request.ts).
 */
function buildAdapters(deps: OidcDeps, org: Organization): OrganizationAdapters {
  return {
    models: new Map(),
    factory: createAdapterFactory({
      db: deps.db,
      kv: deps.kv,
      log: deps.log,
      clock: deps.clock,
      organizationId: org.id,
      mirror: deps.sessions,
      findClient: async (clientId: string) => {
        // Spec 70 §2: the account portal's built-in client, derived per organization (clients/account-portal.ts).
        if (clientId === ACCOUNT_PORTAL_CLIENT_ID) {
          if (!org.accountPortalEnabled) return undefined;
          let portal = portalMetadata.get(org);
          if (!portal) portalMetadata.set(org, (portal = accountPortalClient(org, deps.config.issuerBaseUrl)));
          return portal;
        }
        const client = await deps.clients.findByClientId(org.id, clientId);
        if (!client || client.status !== 'active') return undefined;
        // Spec 20 §5.3: clients of an inactive or archived application fail with invalid_client.
        const application = await deps.applications.findByIdOrSlug(client.applicationId);
        if (application?.status !== 'active') return undefined;
        const known = engineMetadata.get(client);
        if (known?.application === application && known.org === org) return known.metadata;
        const metadata = withConsoleUris(toEngineMetadata(client), org, deps.config.issuerBaseUrl);
        engineMetadata.set(client, { application, org, metadata });
        return metadata;
      },
      // Dynamic registration (spec 70 §5): initial access tokens from Porta's store, client writes through the clients domain.
      ...registrationStore(deps, org),
    }),
  };
}

/**
 * The `adapter` option of the shared engine. The engine asks once per model and keeps what it gets, so
 * each call is routed to the adapter of the organization in scope: every artifact is stored with, and
 * only found for, that organization (the adapter filters PostgreSQL rows and checks Kv values by it).
 * Outside a scope every call throws.
 */
export function tenantAdapters(deps: OidcDeps): AdapterFactory {
  const byOrganization = new WeakMap<Organization, OrganizationAdapters>();
  return (model: string): Adapter => {
    const current = (): Adapter => {
      const { org } = currentTenant();
      let adapters = byOrganization.get(org);
      if (!adapters) {
        adapters = buildAdapters(deps, org);
        byOrganization.set(org, adapters);
      }
      let adapter = adapters.models.get(model);
      if (!adapter) {
        adapter = adapters.factory(model) as Adapter;
        adapters.models.set(model, adapter);
      }
      return adapter;
    };
    return Object.fromEntries(METHODS.map((method) => [method, (...args: unknown[]) => (current()[method] as (...a: unknown[]) => unknown)(...args)])) as unknown as Adapter;
  };
}
