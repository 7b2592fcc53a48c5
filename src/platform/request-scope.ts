import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one HTTP request may remember of its own reads: the same row or artifact asked for twice while
 * one request is served (the engine and Porta's pages both read an interaction, say) is read once.
 * Nothing here outlives the request, and a writer forgets what it changes, so the memo never answers
 * with something older than the request's own last write.
 */
export interface RequestScope {
  /** Made on the first memoized read: most requests never need one. */
  memo?: Map<string, unknown>;
  /** False once the request's middleware has finished. */
  isOpen: boolean;
}

const storage = new AsyncLocalStorage<RequestScope>();

/**
 * Runs `fn` (the rest of a request's middleware) with a scope of its own, closed when it settles: work
 * the request started and that runs on afterwards (a fire-and-forget write, a timer made on first use)
 * inherits the scope but finds it closed, and reads afresh.
 */
export async function runInRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  const scope: RequestScope = { isOpen: true };
  try {
    return await storage.run(scope, fn);
  } finally {
    scope.isOpen = false;
    scope.memo = undefined;
  }
}

/** The scope of the request being served, or undefined outside one (jobs, CLI, start-up, after the request). */
export function currentRequestScope(): RequestScope | undefined {
  const scope = storage.getStore();
  return scope?.isOpen ? scope : undefined;
}

/**
 * `load()`'s promise, shared by every caller of this request asking under `key`; outside a request,
 * `load()` itself. A rejected load is forgotten so that a later caller tries again.
 */
export function requestMemo<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = currentRequestScope();
  if (!scope) return load();
  const memo = (scope.memo ??= new Map());
  const known = memo.get(key) as Promise<T> | undefined;
  if (known) return known;
  const loading = load();
  memo.set(key, loading);
  loading.catch(() => {
    if (memo.get(key) === loading) memo.delete(key);
  });
  return loading;
}

/** Forgets `key` in this request's memo (after a write of what it names). */
export function forgetInRequest(key: string): void {
  currentRequestScope()?.memo?.delete(key);
}
