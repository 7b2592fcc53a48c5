import Router from '@koa/router';
import Handlebars from 'handlebars';
import { readDevOutbox } from '../mail/index.js';
import { HTML_CSP } from '../pages/index.js';
import { AppError } from '../platform/errors.js';

const esc = (value: unknown) => Handlebars.Utils.escapeExpression(String(value ?? ''));
const ID = /^[0-9a-f-]{36}$/;

/**
 * `GET /_dev/mail`: the messages of the development outbox (PORTA_DATA_DIR/mail), newest first, with
 * their links; `GET /_dev/mail/:id` shows one message's HTML part. Mounted only outside production
 * (app.ts), so production answers 404. Everything shown is escaped.
 */
export function devMailRoutes(deps: { dir: string; isActive: boolean }): Router {
  const router = new Router();
  router.get('/_dev/mail', async (ctx) => {
    const entries = await readDevOutbox(deps.dir);
    const rows = entries
      .map(
        (m) => `<tr><td>${esc(m.createdAt)}</td><td>${esc(m.to)}</td><td>${esc(m.template)}</td>` +
          `<td><a href="/_dev/mail/${esc(m.id)}">${esc(m.subject)}</a></td>` +
          `<td>${m.links.map((l) => `<a href="${esc(l)}">${esc(l)}</a>`).join('<br>')}</td></tr>`,
      )
      .join('\n');
    const note = deps.isActive
      ? `Messages written to ${esc(deps.dir)} (SMTP_HOST is not set).`
      : 'SMTP_HOST is set: messages go to the SMTP server; this list shows earlier local ones only.';
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body =
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development mail outbox</title>` +
      `<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top;font-size:14px}td a{word-break:break-all}</style></head>` +
      `<body><h1>Development mail outbox</h1><p>${note}</p>` +
      (entries.length === 0
        ? '<p>No messages yet.</p>'
        : `<table><thead><tr><th>Time</th><th>To</th><th>Template</th><th>Subject</th><th>Links</th></tr></thead><tbody>\n${rows}\n</tbody></table>`) +
      '</body></html>';
  });
  router.get('/_dev/mail/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const entry = ID.test(id) ? (await readDevOutbox(deps.dir, Number.MAX_SAFE_INTEGER)).find((m) => m.id === id) : undefined;
    if (!entry) throw new AppError('not_found', 'not_found', 'Not found.');
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    // The message's own HTML, as a mail client would show it: no script, no form, in a sandbox.
    ctx.set('Content-Security-Policy', `${HTML_CSP}; sandbox`);
    ctx.body = entry.html;
  });
  return router;
}
