// The two modules of oidc-provider (v9) that Porta reaches past its public API (engine-clients.ts).

declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  /** The engine's private state (configuration, caches) of a Provider instance. */
  const instance: (provider: object) => Record<string, unknown> | undefined;
  export default instance;
}

declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
    get(key: unknown): unknown;
    set(key: unknown, value: unknown): this;
  }
}
