import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import { ClientStatus, UpdateClientInput, ClientType, type Client } from '../../clients/index.js';
import { AppError } from '../../platform/errors.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, checkIfMatch, listQuery, param, query, requirePermission, sendData, sendEntity, sendNoContent, sendPage } from './kit.js';

const ENTITY = 'client';
export const SECRET_WARNING = 'Store the secret securely. It will not be shown again.';

const settings = UpdateClientInput.shape;

/** Spec 20 §5.5 POST: every PUT field plus where the client lives. */
export const CreateClientBody = UpdateClientInput.extend({
  organizationId: z.uuid(),
  applicationId: z.uuid(),
  clientType: ClientType,
  clientName: settings.clientName.unwrap(),
  // Required by the rules for the authorization_code grant only (client_credentials and device clients have none).
  redirectUris: settings.redirectUris,
  secretLabel: z.string().trim().min(1).max(255).optional(),
});

const LIST_SORTS = ['client_name', 'created_at'] as const;
const LIST_FILTERS = {
  organizationId: z.uuid().optional(),
  applicationId: z.uuid().optional(),
  status: ClientStatus.optional(),
  search: z.string().trim().max(255).optional(),
};
export const ListClientsParams = listQuery(LIST_SORTS, LIST_FILTERS);
export const ClientCursorParams = cursorQuery(LIST_SORTS, LIST_FILTERS);

/** A Client as the admin API shows it (spec 20 §4): with the login methods that apply after inheritance. */
export type ClientView = Client & { effectiveLoginMethods: string[] };

/** Clients are reached by internal UUID or OIDC `client_id` in any organization (`/api/admin/clients/:id`). */
export async function loadClient(ctx: Context, deps: AdminDeps): Promise<Client> {
  const client = await deps.services.clients.findInAnyOrg(param(ctx, 'id'));
  if (!client) throw new AppError('not_found', 'not_found', 'Client not found.');
  return client;
}

/** `/api/admin/clients` (spec 20 §5.5); secrets in client-secrets.ts. */
export function clientRoutes(router: Router, deps: AdminDeps): void {
  const { clients, organizations } = deps.services;
  const present = async (client: Client): Promise<ClientView> => {
    const org = await organizations.getById(client.organizationId);
    return { ...client, effectiveLoginMethods: client.loginMethods ?? org.defaultLoginMethods };
  };

  router.post('/clients', async (ctx) => {
    const { organizationId, secretLabel, ...input } = await body(ctx, CreateClientBody);
    const { client, secret } = await clients.create(actorOf(ctx), organizationId, { ...input, ...(secretLabel ? { secret: { label: secretLabel } } : {}) });
    sendData(ctx, { client: await present(client), secret }, { status: 201, ...(secret ? { warning: SECRET_WARNING } : {}) });
  });

  router.get('/clients', requirePermission('admin:client:read'), async (ctx) => {
    if (isCursorQuery(ctx)) {
      const { organizationId, ...c } = query(ctx, ClientCursorParams);
      const window = cursorWindow(c);
      const page = await clients.listKeyset(organizationId ?? null, c, window);
      sendCursorPage(ctx, { ...page, data: await Promise.all(page.data.map(present)) }, c, window);
      return;
    }
    const { organizationId, ...q } = query(ctx, ListClientsParams);
    const page = await clients.list(organizationId ?? null, q);
    sendPage(ctx, { data: await Promise.all(page.data.map(present)), total: page.total }, q);
  });

  router.get('/clients/:id', requirePermission('admin:client:read'), async (ctx) => {
    sendEntity(ctx, ENTITY, await present(await loadClient(ctx, deps)));
  });

  router.put('/clients/:id', async (ctx) => {
    const input = await body(ctx, UpdateClientInput);
    const precondition = async (current: Client) => checkIfMatch(ctx, ENTITY, await present(current));
    const client = await clients.update(actorOf(ctx), null, param(ctx, 'id'), input, precondition);
    sendEntity(ctx, ENTITY, await present(client));
  });

  for (const [path, to] of [['revoke', 'revoked'], ['activate', 'active'], ['deactivate', 'inactive']] as const) {
    router.post(`/clients/:id/${path}`, async (ctx) => {
      await clients.setStatus(actorOf(ctx), null, param(ctx, 'id'), to);
      sendNoContent(ctx);
    });
  }

  router.get('/clients/:id/history', requirePermission('admin:client:read'), async (ctx) => {
    const params = query(ctx, HistoryQuery);
    const client = await loadClient(ctx, deps);
    ctx.body = await deps.services.audit.history(ENTITY, client.id, params);
  });
}
