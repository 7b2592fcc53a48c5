import type Provider from 'oidc-provider';
import { buildProvider } from './provider.js';
import type { OidcDeps, Organization } from './types.js';

interface Entry {
  provider: Promise<Provider>;
  /** Rebuilt when any of these change: issuer slug, dynamic registration, signing keys, custom claim names. */
  fingerprint: string;
}

const MAX_PROVIDERS = 500;

/**
 * One engine per organization, built lazily and kept in a small LRU. The engine's keys and claim
 * names are fixed at construction, so a new signing-key version or a claim definition added or
 * removed rebuilds it (spec 10 §12, §13: within 60 s).
 */
export function createProviderRegistry(deps: OidcDeps) {
  const entries = new Map<string, Entry>();
  deps.metrics.watchEngines(() => entries.size);
  return {
    async providerFor(org: Organization): Promise<Provider> {
      const claimNames = await deps.rbac.claimNames();
      // Dynamic registration switches routes and discovery on or off, so a change rebuilds at once (spec 70 §5).
      const fingerprint = `${org.slug}|${org.dynamicRegistration ? 'registration' : '-'}|${await deps.keys.version()}|${claimNames.version}`;
      const existing = entries.get(org.id);
      if (existing && existing.fingerprint === fingerprint) {
        entries.delete(org.id);
        entries.set(org.id, existing);
        return existing.provider;
      }
      const provider = buildProvider(deps, org, claimNames.names);
      deps.metrics.engineBuilt();
      entries.set(org.id, { provider, fingerprint });
      provider.catch(() => entries.delete(org.id));
      while (entries.size > MAX_PROVIDERS) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
      return provider;
    },
    clear() {
      entries.clear();
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
