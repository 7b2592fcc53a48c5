import http from 'node:http';
import net from 'node:net';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { HTML_CSP, createPages, formBody, htmlCsp, isCsrfValid, issueCsrfToken, originsOf, scriptHash, withFormActions } from './index.js';

function context(headers: Record<string, string>, body?: string) {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'POST';
  req.headers = { host: 'op.example', ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers };
  if (body !== undefined) req.body = Buffer.from(body);
  return new Koa().createContext(req, new http.ServerResponse(req));
}

describe('page CSP', () => {
  it('widens form-action and script-src for one page only', () => {
    expect(htmlCsp([])).toBe(HTML_CSP);
    const csp = htmlCsp(['https://app.example'], [scriptHash('f.submit();')]);
    expect(csp).toContain("form-action 'self' https://app.example;");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(HTML_CSP).toContain("form-action 'self';");
  });

  it('adds origins to the form-action of a policy another hand has rewritten, keeping the rest', () => {
    // The engine rejoins directives with ';' alone after adding its script hash.
    const engine = HTML_CSP.replace("script-src 'self'", "script-src 'self' 'sha256-abc='").replace(/; /g, ';');
    const csp = withFormActions(engine, ['https://rp.example', 'https://rp.example']);
    expect(csp).toBe(HTML_CSP.replace("script-src 'self'", "script-src 'self' 'sha256-abc='").replace("form-action 'self'", "form-action 'self' https://rp.example"));
    expect(withFormActions(HTML_CSP, [])).toBe(HTML_CSP);
  });

  it('takes distinct origins of URIs, skipping what is not a URL', () => {
    expect(originsOf(['https://a.example/cb', 'https://a.example/other', 'not a url', 'http://b.example:8080/x'])).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(originsOf(undefined)).toEqual([]);
  });
});

describe('page forms', () => {
  it('reads the first value of each urlencoded field, and nothing from other media types', async () => {
    expect(await formBody(context({ 'content-type': 'application/x-www-form-urlencoded' }, 'email=a%40b.example&email=c&_csrf=t'))).toEqual({ email: 'a@b.example', _csrf: 't' });
    expect(await formBody(context({ 'content-type': 'application/json' }, '{"email":"a"}'))).toEqual({});
  });

  it('accepts only the CSRF token its cookie holds (double submit)', () => {
    const issuing = context({});
    const token = issueCsrfToken(issuing, '/acme');
    expect(issuing.response.get('Set-Cookie')).toEqual([expect.stringMatching(new RegExp(`^_csrf=${token}; path=/acme; samesite=lax; httponly$`))]);
    const ctx = context({ cookie: `_csrf=${token}` });
    expect(isCsrfValid(ctx, token)).toBe(true);
    expect(isCsrfValid(ctx, `${token}x`)).toBe(false);
    expect(isCsrfValid(ctx, undefined)).toBe(false);
    expect(isCsrfValid(context({}), token)).toBe(false);
  });
});

describe('rendering', () => {
  it('renders a page in the layout, in the requested language with English fallback', () => {
    const { renderer, i18n } = createPages();
    expect(i18n.resolve(['xx-YY', 'en-GB'])).toBe('en');
    const html = renderer.render('error', { locale: 'en', branding: { companyName: 'Acme <Corp>', primaryColor: '#2563eb' }, pageTitle: 'T', errorMessage: i18n.t('en', 'errors.generic') });
    expect(html).toContain('Acme &lt;Corp&gt;');
    expect(html).toContain(i18n.t('en', 'errors.generic'));
  });
});
