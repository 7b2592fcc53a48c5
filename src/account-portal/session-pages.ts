import type Router from '@koa/router';
import { formBody } from '../pages/index.js';
import { AppError } from '../platform/errors.js';
import type { TrackedSession } from '../sessions/index.js';
import { checkPortalCsrf, redirectWithFlash, renderPortalPage, requirePortalUser, type PortalDeps, type PortalRequest } from './context.js';
import { portalPath } from './session.js';
import { describeBrowser } from './user-agent.js';

const formatDate = (locale: string, date: Date | null) =>
  date ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date) + ' UTC' : null;

function sessionView(portal: PortalRequest, s: TrackedSession) {
  return {
    id: s.sessionId,
    browser: describeBrowser(s.userAgent),
    ip: s.ipAddress,
    createdAt: formatDate(portal.locale, s.createdAt),
    lastActiveAt: formatDate(portal.locale, s.lastActivityAt),
    isCurrent: s.sessionId === portal.engineSessionUid,
  };
}

/** Sessions and devices, connected apps (spec 70 §2). */
export function register(router: Router, deps: PortalDeps): void {
  router.get('/account/sessions', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const sessions = (await deps.sessions.listOwn(portal.org.id, portal.user.id)).map((s) => sessionView(portal, s));
    sessions.sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));
    await renderPortalPage(ctx, portal, 'account-sessions', { sessions, hasOthers: sessions.some((s) => !s.isCurrent) });
  });

  router.post('/account/sessions/sign-out', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    const base = portalPath(portal.org.slug);
    const sessionId = form.session ?? '';
    if (sessionId === '' || sessionId.length > 128 || sessionId === portal.engineSessionUid) {
      return redirectWithFlash(ctx, portal, `${base}/sessions`, 'account.sessions.not_found');
    }
    try {
      await deps.sessions.endOwnSession(portal.actor, portal.org.id, sessionId);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') return redirectWithFlash(ctx, portal, `${base}/sessions`, 'account.sessions.not_found');
      throw err;
    }
    await redirectWithFlash(ctx, portal, `${base}/sessions`, 'account.sessions.signed_out_one');
  });

  router.post('/account/sessions/sign-out-others', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    await deps.sessions.endOtherOwnSessions(portal.actor, portal.org.id, portal.engineSessionUid);
    await redirectWithFlash(ctx, portal, `${portalPath(portal.org.slug)}/sessions`, 'account.sessions.signed_out_others');
  });

  router.get('/account/apps', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const apps = await Promise.all(
      (await deps.sessions.connectedApps(portal.org.id, portal.user.id)).map(async (app) => {
        const client = await deps.clients.findByClientId(portal.org.id, app.clientId);
        return {
          clientId: app.clientId,
          name: client?.clientName ?? app.clientId,
          scopes: app.scopes.join(' '),
          grantedAt: formatDate(portal.locale, app.grantedAt),
          expiresAt: formatDate(portal.locale, app.expiresAt),
        };
      }),
    );
    await renderPortalPage(ctx, portal, 'account-apps', { apps });
  });

  router.post('/account/apps/revoke', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    const base = portalPath(portal.org.slug);
    try {
      await deps.sessions.revokeConnectedApp(portal.actor, portal.org.id, (form.client ?? '').slice(0, 255));
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') return redirectWithFlash(ctx, portal, `${base}/apps`, 'account.apps.not_found');
      throw err;
    }
    await redirectWithFlash(ctx, portal, `${base}/apps`, 'account.apps.revoked');
  });
}
