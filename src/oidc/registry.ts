import type Provider from 'oidc-provider';
import { buildEngine, engineShapeOf, type EngineShape } from './provider.js';
import { findTenant, runAsTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

interface Entry {
  provider: Promise<Provider>;
  /** Rebuilt when either changes: the signing keys, the custom claim names. */
  fingerprint: string;
}

const shapeKey = (shape: EngineShape) => (shape.isRegistrationEnabled ? 'registration' : 'plain');

/**
 * The engines: one per shape (dynamic registration on or off), each serving every organization of that
 * shape, whatever their number; what differs per organization comes from the tenant scope. The keys and
 * claim names are fixed at construction, so a new signing-key version or a claim definition added or
 * removed rebuilds the engine (spec 10 §12, §13: within 60 s); both versions are per-process copies
 * re-checked against the store at most once a second, not per request.
 */
export function createProviderRegistry(deps: OidcDeps) {
  const entries = new Map<string, Entry>();
  deps.metrics.watchEngines(() => entries.size);

  async function engineFor(org: Organization): Promise<Provider> {
    const shape = engineShapeOf(org);
    const key = shapeKey(shape);
    const claimNames = await deps.rbac.claimNames();
    const fingerprint = `${await deps.keys.version()}|${claimNames.version}`;
    const existing = entries.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing.provider;
    const provider = buildEngine(deps, shape, claimNames.names);
    deps.metrics.engineBuilt();
    const entry = { provider, fingerprint };
    entries.set(key, entry);
    provider.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return provider;
  }

  return {
    /**
     * The engine serving `org`, for a caller already in `org`'s scope (a request under `/{org}`): the
     * engine serves whichever organization is in scope, so any other use is refused.
     */
    async providerFor(org: Organization): Promise<Provider> {
      const scope = findTenant();
      if (scope?.org.id !== org.id) throw new Error(`providerFor(${org.slug}) outside that organization's scope; use withOrganization`);
      return engineFor(org);
    },

    /** Runs `fn` with the engine in `org`'s scope: what `fn` reads, writes or signs is that organization's. */
    withOrganization<T>(org: Organization, fn: (provider: Provider) => Promise<T>): Promise<T> {
      return runAsTenant(org, deps.config.issuerBaseUrl, async () => fn(await engineFor(org)));
    },

    clear() {
      entries.clear();
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
