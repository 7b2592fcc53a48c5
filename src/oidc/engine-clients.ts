import type Provider from 'oidc-provider';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import { portaOf } from './client-extras.js';
import { currentTenant } from './tenant-scope.js';

/**
 * Built clients the shared engine keeps. Building one (the engine validates its metadata and sets up its
 * key stores) costs more CPU than the rest of a client-credentials request, and the engine's own cache
 * holds 100: with requests spread over thousands of organizations every lookup would build again. The
 * engine's LRU keeps between this many and twice as many, a few kilobytes each.
 */
const BUILT_CLIENTS = 10_000;

/**
 * The engine's built-client cache, sized for every organization's clients. It is keyed by the SHA-256 of
 * a client's metadata, which holds the client's internal id and organization id, so two organizations
 * never share an entry; and a client found is handed out only to the organization it belongs to.
 */
export function holdBuiltClients(provider: Provider): void {
  const internals = instance(provider);
  if (!internals || !('dynamicClients' in internals)) throw new Error('oidc-provider no longer keeps built clients where Porta sizes them');
  internals.dynamicClients = new LRU({ maxSize: BUILT_CLIENTS });

  const Client = provider.Client;
  const find = Client.find.bind(Client);
  const adapter = (Client as unknown as { adapter: { find(id: string): Promise<object | undefined> } }).adapter;
  // The adapter hands out one metadata object per unchanged client (tenant-adapter.ts): the client built
  // from it is kept beside it, so a request finds its client without the engine's JSON and SHA-256 of
  // the metadata. A changed client is a new object, built (and keyed) by the engine's own `find`.
  const builtFrom = new WeakMap<object, Client>();
  type Client = NonNullable<Awaited<ReturnType<typeof find>>>;
  Client.find = async (id: string) => {
    const metadata = typeof id === 'string' && id.length > 0 ? await adapter.find(id) : undefined;
    let client = metadata ? builtFrom.get(metadata) : undefined;
    if (!client) {
      client = await find(id);
      if (client && metadata) builtFrom.set(metadata, client);
    }
    return client && portaOf(client)?.organization_id === currentTenant().org.id ? client : undefined;
  };
}
