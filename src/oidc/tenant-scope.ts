import { AsyncLocalStorage } from 'node:async_hooks';
import type { Organization } from './types.js';

/**
 * The organization an engine call serves. One engine serves every organization, so whatever differs
 * between them (issuer, the adapter's tenant, clients, accounts, cookie paths, pages) is read from the
 * scope of the request, or of an explicit `registry.withOrganization` call, never from the engine.
 */
export interface TenantScope {
  readonly org: Organization;
  /** `{ISSUER_BASE_URL}/{slug}` */
  readonly issuer: string;
  /** Things built once per scope for this organization (its adapters), dropped with the scope. */
  readonly memo: Map<string, unknown>;
}

const scopes = new AsyncLocalStorage<TenantScope>();

/** Engine code ran outside any organization's scope: refused, so nothing can fall back to another tenant. */
export class NoTenantScope extends Error {
  constructor() {
    super('the OIDC engine was used outside an organization scope');
    this.name = 'NoTenantScope';
  }
}

/** Runs `fn` (and everything it starts, awaits included) as a request of `org`. */
export function runAsTenant<T>(org: Organization, issuerBaseUrl: string, fn: () => T): T {
  return scopes.run({ org, issuer: `${issuerBaseUrl}/${org.slug}`, memo: new Map() }, fn);
}

export function currentTenant(): TenantScope {
  const scope = scopes.getStore();
  if (!scope) throw new NoTenantScope();
  return scope;
}

export function findTenant(): TenantScope | undefined {
  return scopes.getStore();
}

/** `build()` once per scope under `key`. */
export function memoized<T>(scope: TenantScope, key: string, build: () => T): T {
  if (scope.memo.has(key)) return scope.memo.get(key) as T;
  const value = build();
  scope.memo.set(key, value);
  return value;
}
