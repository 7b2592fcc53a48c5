import http from 'node:http';
import https from 'node:https';
import { CliError, EXIT } from '../context.js';

const TIMEOUT_MS = 15_000;
/** An import is one transaction, however large: ten thousand organizations take minutes. */
export const IMPORT_TIMEOUT_MS = 60 * 60 * 1000;
/** fetch gives up when the answer's headers take longer than this (undici's `headersTimeout`). */
const FETCH_HEADERS_TIMEOUT_MS = 300_000;

/** fetch with a timeout; an unreachable server is a runtime failure (exit 1) naming the URL. */
export async function send(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`Cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.runtime);
  }
}

/**
 * As `send`, for an answer that may take longer than fetch waits for headers (a large import): node's own
 * HTTP client, bounded by `timeoutMs` alone. The answer comes back as a fetch `Response`.
 */
async function sendPatiently(url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string }, timeoutMs: number): Promise<Response> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : http.request;
  // Declared, not chunked: the server reads a large import body only when its length is declared.
  const headers = init.body === undefined ? init.headers : { ...init.headers, 'Content-Length': String(Buffer.byteLength(init.body)) };
  try {
    return await new Promise<Response>((resolve, reject) => {
      const req = request(target, { method: init.method, headers, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) answer.append(name, v);
          }
          const status = res.statusCode ?? 502;
          const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers: answer }));
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CliError(`Cannot reach ${target.origin}: ${code ?? (err as Error).message}`, EXIT.runtime);
  }
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON body. */
  body?: unknown;
  /** A binary body with its content type (branding assets). */
  raw?: { data: Uint8Array; contentType: string };
  headers?: Record<string, string>;
  /** How long to wait for the answer; 120 s unless the command knows it may take longer (an import). */
  timeoutMs?: number;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Where the bearer token comes from: a stored login (refreshable) or direct mode's one-off token. */
export interface TokenSource {
  token(): Promise<string>;
  /** A fresh token after a 401, or null when none can be had. */
  refresh(): Promise<string | null>;
}

/** The admin API error body (spec 20 §1). */
export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** Spec 30 §1 exit codes for Admin API statuses. */
export function exitCodeForStatus(status: number): number {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return EXIT.usage;
    case 401:
      return EXIT.auth;
    case 403:
      return EXIT.permission;
    case 404:
      return EXIT.notFound;
    case 409:
      return EXIT.conflict;
    default:
      return EXIT.runtime;
  }
}

function asErrorBody(status: number, body: unknown): ErrorBody {
  if (typeof body === 'object' && body !== null && typeof (body as ErrorBody).error === 'string') {
    const b = body as ErrorBody;
    return { ...b, message: typeof b.message === 'string' ? b.message : b.error };
  }
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `The server answered ${status}.`;
  return { error: status >= 500 ? 'internal_error' : `http_${status}`, message: text };
}

/** The human message of an error body: its message, then one line per detail worth reading. */
export function describeError(body: ErrorBody): string {
  const lines = [body.message];
  const details = body.details;
  if (Array.isArray(details)) {
    for (const d of details as Array<Record<string, unknown>>) {
      const where = typeof d.path === 'string' && d.path !== '' ? `${d.path}: ` : typeof d.slug === 'string' ? `${String(d.type ?? '')} ${d.slug}: ` : '';
      const what = typeof d.message === 'string' ? d.message : typeof d.error === 'string' ? d.error : JSON.stringify(d);
      if (what !== body.message && `${where}${what}` !== body.message) lines.push(`  ${where}${what}`);
    }
  } else if (typeof details === 'object' && details !== null) {
    const missing = (details as { missing?: unknown }).missing;
    if (Array.isArray(missing)) lines.push(`  missing permission(s): ${missing.join(', ')}`);
    const retryAfter = (details as { retryAfter?: unknown }).retryAfter;
    if (typeof retryAfter === 'number') lines.push(`  retry after ${retryAfter} s`);
  }
  return lines.join('\n');
}

export function apiError(status: number, body: unknown): CliError {
  const errorBody = asErrorBody(status, body);
  return new CliError(describeError(errorBody), exitCodeForStatus(status), errorBody);
}

function withQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** `/api/admin` over HTTP, for both modes (direct mode serves it in-process on loopback). */
export class AdminApi {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource,
    readonly mode: 'http' | 'direct',
  ) {}

  /** Any status; the caller decides. `path` is relative to `/api/admin`. */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const call = async (token: string) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json', 'User-Agent': 'porta-cli', ...options.headers };
      let payload: Uint8Array | string | undefined;
      if (options.raw) {
        headers['Content-Type'] = options.raw.contentType;
        payload = options.raw.data;
      } else if (options.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        payload = JSON.stringify(options.body);
      }
      const url = `${this.baseUrl}/api/admin${withQuery(path, options.query)}`;
      const timeoutMs = options.timeoutMs ?? 120_000;
      if (timeoutMs > FETCH_HEADERS_TIMEOUT_MS) return sendPatiently(url, { method, headers, body: payload }, timeoutMs);
      return send(url, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
    };
    const res = await call(await this.tokens.token());
    if (res.status !== 401) return res;
    // An access token revoked or expired early: one retry with a refreshed token (nothing happened on a 401).
    const fresh = await this.tokens.refresh();
    if (!fresh) return res;
    await res.body?.cancel();
    return call(fresh);
  }

  /** JSON request; a non-2xx answer throws a CliError carrying the error body and spec 30 exit code. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const res = await this.raw(method, path, options);
    const text = await res.text();
    let body: unknown = text === '' ? null : text;
    if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) throw apiError(res.status, body);
    return { status: res.status, headers: res.headers, body: body as T };
  }

  async get<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    return (await this.request<T>('GET', path, { query })).body;
  }

  async post<T = unknown>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, body })).body;
  }

  async put<T = unknown>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>('PUT', path, { ...options, body })).body;
  }

  async delete<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('DELETE', path, options)).body;
  }
}

/** A path segment from user input (slugs, client ids). */
export const seg = (value: string) => encodeURIComponent(value);

export { isUuid } from '../../platform/ids.js';

export function notLoggedIn(extra = ''): CliError {
  return new CliError(`Not logged in${extra}: run \`porta login\` or pass --direct.`, EXIT.auth, { error: 'not_logged_in', message: `Not logged in${extra}: run \`porta login\` or pass --direct.` });
}
