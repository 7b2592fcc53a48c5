import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';
import { AppError } from '../platform/errors.js';
import { IMMUTABLE_CACHE_CONTROL } from './static-assets.js';

/** `npm run build` (or `npm start`, scripts/build-console.mjs) writes the console here: `dist/console` at the repository root. */
export const ADMIN_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console', import.meta.url));

/**
 * The console's policy: its own bundled scripts and styles only, API calls to Porta itself (the Admin API
 * and the token endpoint), frames of Porta's own pages (the branding preview), no inline script.
 */
export const ADMIN_CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
  "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'";

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Admin console unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The admin console has not been built</h1>
<p>This server has no console assets. Run <code>npm run build</code> (or start Porta with <code>npm start</code>,
which builds them), then reload this page. The Admin API and the <code>porta</code> CLI work meanwhile.</p>
</body></html>
`;

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw err;
  }
}

/**
 * `/admin` and everything under it (spec 70 §3): `/admin/assets/*` from the build, content-hashed and kept
 * for a year; every other path (`/admin/callback`, `/admin/organizations/…`) is the single page, never
 * cached, which routes itself. Files are read on each request, so a rebuild needs no restart. Without a
 * build, a page saying how to make one (503).
 */
export function adminConsole(options: { dir?: string } = {}) {
  const dir = options.dir ?? ADMIN_CONSOLE_DIR;
  return async function adminConsolePages(ctx: Context, next: Next) {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new AppError('not_found', 'not_found', 'Not found.');
    ctx.state.contentSecurityPolicy = ADMIN_CONSOLE_CSP;
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    if (ctx.path.startsWith('/admin/assets/')) {
      const name = ctx.path.slice('/admin/assets/'.length);
      const body = ASSET_NAME.test(name) ? await readOrNull(path.join(dir, 'assets', name)) : null;
      if (!body) throw new AppError('not_found', 'not_found', 'Not found.');
      ctx.set('Cache-Control', IMMUTABLE_CACHE_CONTROL);
      ctx.type = TYPES[path.extname(name)] ?? 'application/octet-stream';
      ctx.body = body;
      return;
    }
    const page = await readOrNull(path.join(dir, 'index.html'));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    if (!page) {
      ctx.status = 503;
      ctx.state.contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
      ctx.body = NOT_BUILT;
      return;
    }
    ctx.body = page;
  };
}
