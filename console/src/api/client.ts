import { accessToken } from '../auth/oidc';

/** An Admin API error answer `{ error, message, details }` (or a network failure: status 0). */
export class ApiError extends Error {
  status: number;
  code: string;
  details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface ApiInit {
  method?: string;
  /** JSON-encoded, except a Blob/File, which is sent as it is with its own type (branding uploads). */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  ifMatch?: string;
}

export const API_PREFIX = '/api/admin';

function urlOf(path: string, query?: ApiInit['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `${API_PREFIX}${path}${qs ? `${path.includes('?') ? '&' : '?'}${qs}` : ''}`;
}

async function send(path: string, init: ApiInit, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  let body: BodyInit | undefined;
  if (init.body instanceof Blob) {
    body = init.body;
    headers['Content-Type'] = init.body.type || 'application/octet-stream';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['Content-Type'] = 'application/json';
  }
  if (init.ifMatch) headers['If-Match'] = init.ifMatch;
  const attempt = async (force: boolean) => {
    let token: string;
    try {
      token = await accessToken(force);
    } catch (err) {
      throw new ApiError(401, 'session_ended', err instanceof Error ? err.message : 'The session has ended. Sign in again.');
    }
    try {
      return await fetch(urlOf(path, init.query), { method: init.method ?? 'GET', headers: { ...headers, Authorization: `Bearer ${token}` }, body });
    } catch (err) {
      throw new ApiError(0, 'network_error', err instanceof Error ? err.message : 'The request failed.');
    }
  };
  let res = await attempt(false);
  // An access token can end early (revoked, rotated keys): one refresh, one retry.
  if (res.status === 401) res = await attempt(true);
  if (!res.ok) throw await errorOf(res);
  return res;
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as { error?: string; message?: string; details?: unknown } | null;
  return new ApiError(res.status, body?.error ?? 'http_error', body?.message ?? `The server answered ${res.status} ${res.statusText}.`, body?.details);
}

/** A response's body with its ETag (for `ifMatch` on the next PUT). */
export async function apiResponse<T>(path: string, init: ApiInit = {}): Promise<{ body: T; etag: string | null; status: number }> {
  const res = await send(path, init, 'application/json');
  const text = await res.text();
  return { body: (text === '' ? undefined : JSON.parse(text)) as T, etag: res.headers.get('ETag'), status: res.status };
}

/** An entity (`{ data }`) with its ETag, which an edit form sends back as If-Match (a concurrent change is 412). */
export interface Versioned<T> {
  data: T;
  etag: string | null;
}

/** The entity of a `{ data }` answer (a GET, or a PUT's answer) with its ETag. */
export const versionedOf = <T,>(res: { body: { data: T }; etag: string | null }): Versioned<T> => ({ data: res.body.data, etag: res.etag });

/** GETs `path`, an entity with its ETag. */
export async function apiVersioned<T>(path: string): Promise<Versioned<T>> {
  return versionedOf(await apiResponse<{ data: T }>(path));
}

/**
 * Calls `/api/admin{path}` with the signed-in admin's token (refreshed once on a 401) and returns the JSON
 * body as the API sends it (`{ data }`, a cursor page…; undefined for 204). Failures throw ApiError.
 */
export async function api<T>(path: string, init: ApiInit = {}): Promise<T> {
  return (await apiResponse<T>(path, init)).body;
}

/** Fetches `path` (a GDPR export, a CSV) with the token and saves it as `filename`. */
export async function apiDownload(path: string, filename: string): Promise<void> {
  const res = await send(path, {}, '*/*');
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
