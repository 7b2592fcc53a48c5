/**
 * A minimal browser over fetch: a cookie jar honouring Path, manual redirects, and form helpers.
 * Enough to drive Porta's login, consent and logout pages over plain HTTP in end-to-end tests.
 */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires?: number;
}

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  location: string | null;
}

export class HttpBrowser {
  private cookies = new Map<string, StoredCookie>();

  constructor(private readonly origin: string) {}

  cookieNames(path = '/'): string[] {
    return [...this.cookies.values()].filter((c) => path.startsWith(c.path)).map((c) => c.name);
  }

  /** The value of a cookie sent to `path`, as the server set it. */
  cookie(name: string, path = '/'): string | undefined {
    return [...this.cookies.values()].find((c) => c.name === name && path.startsWith(c.path))?.value;
  }

  clearCookies(): void {
    this.cookies.clear();
  }

  private cookieHeader(url: URL): string {
    const now = Date.now();
    return [...this.cookies.values()]
      .filter((c) => url.pathname.startsWith(c.path) && (c.expires === undefined || c.expires > now))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | undefined;
      for (const a of attrs) {
        const [k, v] = a.split('=').map((x) => x.trim());
        if (k!.toLowerCase() === 'path' && v) path = v;
        if (k!.toLowerCase() === 'expires' && v) expires = Date.parse(v);
        if (k!.toLowerCase() === 'max-age' && v) expires = Date.now() + Number(v) * 1000;
      }
      const key = `${name}|${path}`;
      if (expires !== undefined && expires <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path, expires });
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(target, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(target, res.headers);
    return { status: res.status, url: target.toString(), headers: res.headers, body: await res.text(), location: res.headers.get('location') };
  }

  /** Follows redirects on this origin; stops at the first response that is not a redirect or leaves it. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}, maxHops = 10): Promise<PageResponse> {
    let res = await this.request(url, init);
    for (let hop = 0; hop < maxHops && res.location && res.status >= 300 && res.status < 400; hop++) {
      const next = new URL(res.location, res.url);
      if (next.origin !== new URL(this.origin).origin) return res;
      res = await this.request(next.toString());
    }
    return res;
  }
}

/** Value of a hidden input in an HTML page. */
export function hiddenInput(html: string, name: string): string {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!m) throw new Error(`no hidden input ${name} in page`);
  return m[1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=').replace(/&quot;/g, '"');
}

/** The `action` of the form that has the given id, or the first form. */
export function formAction(html: string, id?: string): string {
  const re = id ? new RegExp(`<form[^>]*id="${id.replace('.', '\\.')}"[^>]*>`) : /<form[^>]*>/;
  const tag = re.exec(html)?.[0];
  const action = tag && /action="([^"]*)"/.exec(tag)?.[1];
  if (!action) throw new Error('no form action in page');
  return action.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
}
