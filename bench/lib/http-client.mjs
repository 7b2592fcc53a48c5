// A small keep-alive HTTP/1.1 client and cookie jar for the scripted scenarios (login, refresh).
// node:http rather than fetch: less client CPU per request, which matters on a 2-core machine
// where the load generator and the server share the cores.
import http from 'node:http';
import { URLSearchParams } from 'node:url';

/** `localAddress` (e.g. 127.0.0.7) makes the requests come from another loopback address: another client IP. */
export function createHttpClient(origin, { maxSockets = 64, timeoutMs = 30_000, localAddress } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, ...(localAddress ? { localAddress } : {}) });
  const base = new URL(origin);

  function request(method, target, { headers = {}, form } = {}) {
    const url = new URL(target, base);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const allHeaders = { ...headers };
    if (body !== undefined) {
      allHeaders['content-type'] = 'application/x-www-form-urlencoded';
      allHeaders['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers: allHeaders, agent, timeout: timeoutMs }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), url }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url.pathname}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  return { request, close: () => agent.destroy() };
}

/** Cookies by name and Path, as a browser would send them back to this one origin. */
export class CookieJar {
  #cookies = new Map();

  header(url) {
    const now = Date.now();
    return [...this.#cookies.values()]
      .filter((c) => url.pathname.startsWith(c.path) && (c.expires === undefined || c.expires > now))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  store(url, setCookie = []) {
    for (const line of setCookie) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires;
      for (const a of attrs) {
        const [k, v] = a.split('=').map((x) => x.trim());
        const key = k.toLowerCase();
        if (key === 'path' && v) path = v;
        if (key === 'expires' && v) expires = Date.parse(v);
        if (key === 'max-age' && v) expires = Date.now() + Number(v) * 1000;
      }
      const id = `${name}|${path}`;
      if (expires !== undefined && expires <= Date.now()) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path, expires });
    }
  }
}

/** A request that sends and keeps cookies. */
export async function browse(client, jar, method, target, options = {}) {
  const url = new URL(target, 'http://placeholder');
  const cookie = jar.header(url);
  const headers = { ...options.headers };
  if (cookie) headers.cookie = cookie;
  const res = await client.request(method, target, { ...options, headers });
  jar.store(res.url, res.headers['set-cookie']);
  return res;
}

export function basicAuth(clientId, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Value of a hidden input in an HTML page, or undefined. */
export function hiddenInput(html, name) {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  return m ? unescapeHtml(m[1]) : undefined;
}

/** The `action` of the first form whose action ends with `suffix`, or undefined. */
export function formAction(html, suffix) {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"/g)) {
    const action = unescapeHtml(m[1]);
    if (action.endsWith(suffix)) return action;
  }
  return undefined;
}

function unescapeHtml(s) {
  return s.replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
}
