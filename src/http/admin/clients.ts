import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import { ClientStatus, UpdateClientInput, ClientType, type Client } from '../../clients/index.js';
import { createAdapterFactory } from '../../oidc/adapter.js';
import { AppError } from '../../platform/errors.js';
import { ADMIN_CLI_CLIENT_ID } from '../../rbac/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import { audit, body, checkIfMatch, listQuery, param, query, requirePermission, sendData, sendEntity, sendNoContent, sendPage } from './kit.js';

const ENTITY = 'client';
export const SECRET_WARNING = 'Store the secret securely. It will not be shown again.';

const settings = UpdateClientInput.shape;

/** Spec 20 §5.5 POST: every PUT field plus where the client lives; `requirePkce` may only be `true`. */
export const CreateClientBody = UpdateClientInput.extend({
  organizationId: z.uuid(),
  applicationId: z.uuid(),
  clientType: ClientType,
  clientName: settings.clientName.unwrap(),
  redirectUris: settings.redirectUris.unwrap().min(1),
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

/** Revoking or deactivating the CLI's client would lock every admin out of the API. */
function assertNotAdminCli(client: Client): void {
  if (client.clientId === ADMIN_CLI_CLIENT_ID) {
    throw new AppError('forbidden', 'protected_resource', 'The admin CLI client cannot be revoked or deactivated.');
  }
}

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
  const record = (ctx: Context, client: Client, eventType: string, metadata?: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: ENTITY, targetId: client.id, organizationId: client.organizationId, metadata });

  router.post('/clients', requirePermission('admin:client:create'), async (ctx) => {
    const { organizationId, secretLabel, ...input } = await body(ctx, CreateClientBody);
    await assertActiveOrganization(deps, organizationId);
    const created = await clients.create(organizationId, { ...input, ...(secretLabel ? { secret: { label: secretLabel } } : {}) });
    const { client, secret } = created;
    await record(ctx, client, 'client.created', { clientId: client.clientId, applicationId: client.applicationId, clientType: client.clientType });
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

  router.put('/clients/:id', requirePermission('admin:client:update'), async (ctx) => {
    const input = await body(ctx, UpdateClientInput);
    const current = await loadClient(ctx, deps);
    checkIfMatch(ctx, ENTITY, await present(current));
    const client = await clients.update(current.organizationId, current.id, input);
    await record(ctx, client, 'client.updated', { fields: Object.keys(input) });
    sendEntity(ctx, ENTITY, await present(client));
  });

  router.post('/clients/:id/revoke', requirePermission('admin:client:revoke'), async (ctx) => {
    const current = await loadClient(ctx, deps);
    assertNotAdminCli(current);
    const client = await clients.setStatus(current.organizationId, current.id, 'revoked');
    // The engine no longer finds the client, so artifacts left in the Kv store (codes, sessions) are unusable until they expire.
    const { db, kv, log, clock } = deps;
    const tokensDeleted = await createAdapterFactory({ db, kv, log, clock, organizationId: client.organizationId }).revokeClient(client.clientId);
    await record(ctx, client, 'client.revoked', { previousStatus: current.status, tokensDeleted });
    sendNoContent(ctx);
  });

  for (const [path, to, eventType] of [['activate', 'active', 'client.activated'], ['deactivate', 'inactive', 'client.deactivated']] as const) {
    router.post(`/clients/:id/${path}`, requirePermission('admin:client:update'), async (ctx) => {
      const current = await loadClient(ctx, deps);
      if (to !== 'active') assertNotAdminCli(current);
      const client = await clients.setStatus(current.organizationId, current.id, to);
      await record(ctx, client, eventType, { previousStatus: current.status });
      sendNoContent(ctx);
    });
  }

  router.get('/clients/:id/history', requirePermission('admin:client:read'), async (ctx) => {
    const params = query(ctx, HistoryQuery);
    const client = await loadClient(ctx, deps);
    ctx.body = await deps.services.audit.history(ENTITY, client.id, params);
  });
}

/** Spec 20 §5.5: new clients only in an existing, active organization (a body reference, so 400 rather than 404). */
async function assertActiveOrganization(deps: AdminDeps, organizationId: string): Promise<void> {
  const org = await deps.services.organizations.findById(organizationId);
  if (!org) throw new AppError('invalid', 'organization_not_found', 'The organization does not exist.', { organizationId });
  if (org.status !== 'active') throw new AppError('invalid', 'organization_inactive', `The organization is ${org.status} and accepts no new clients.`, { organizationId });
}
