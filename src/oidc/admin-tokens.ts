import type { AccessTokenFacts } from '../rbac/index.js';
import type { Organization } from './types.js';
import type { ProviderRegistry } from './registry.js';

/**
 * Spec 20 §2 check 2: the Admin API looks a bearer token up in the admin organization's token store,
 * so expiry and revocation hold and tokens of other issuers are unknown here.
 */
export function createAdminTokenLookup(registry: ProviderRegistry, organizations: { getSuperAdmin(): Promise<Organization> }) {
  return {
    async findAccessToken(token: string): Promise<AccessTokenFacts | null> {
      return registry.withOrganization(await organizations.getSuperAdmin(), async (provider) => {
        const user = await provider.AccessToken.find(token);
        if (user && !user.isExpired) return { accountId: user.accountId ?? null, clientId: String(user.clientId) };
        // Service accounts (spec 70 §4) present client-credentials tokens, a model of their own in the engine.
        const machine = await provider.ClientCredentials.find(token);
        if (machine && !machine.isExpired) return { accountId: null, clientId: String(machine.clientId) };
        return null;
      });
    },
  };
}
