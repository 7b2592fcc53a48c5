import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../platform/errors.js';
import type { ImportManifest, ProvisioningFailure, ProvisioningProblem, ProvisionResult } from '../../provisioning/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, sendData } from './kit.js';

export const IMPORT_MODES = ['merge', 'overwrite', 'dry-run'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const ImportBody = z.strictObject({
  mode: z.enum(IMPORT_MODES).default('dry-run'),
  /** Runs `merge` or `overwrite` and rolls it back: a preview of either (`mode: dry-run` previews a merge). */
  dryRun: z.boolean().optional(),
  manifest: z.record(z.string(), z.unknown()),
});

/** The one Admin API body allowed past 100 KB: a manifest of ten thousand organizations is a few megabytes. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const IMPORT_PATH = /^\/api\/admin\/import\/?$/;

/**
 * `readBodies` limit of `POST /import`. Only with a declared Content-Length: such a body is read by the
 * route, after authentication, so nobody unauthenticated makes Porta hold more than 100 KB (a chunked
 * body is read before routing and keeps the default).
 */
export function importBodyLimit(ctx: Context): number | undefined {
  const isImport = ctx.method === 'POST' && IMPORT_PATH.test(ctx.path) && ctx.request.length !== undefined;
  return isImport ? IMPORT_BODY_LIMIT : undefined;
}

/** `POST /import` (spec 20 §5.9): one transaction; any refused entry → 422 `import_failed` with every error entry. */
export function importRoutes(router: Router, deps: AdminDeps): void {
  const { provisioning } = deps.services;

  router.post('/import', async (ctx) => {
    const input = await body(ctx, ImportBody);
    const manifest = inBody(() => provisioning.validateManifest(input.manifest));
    const isDryRun = input.mode === 'dry-run' || input.dryRun === true;
    const mode = isDryRun ? 'dry-run' : input.mode;
    let result: ProvisionResult;
    try {
      const options = { mode: input.mode === 'dry-run' ? ('merge' as const) : input.mode, isDryRun };
      result = await provisioning.importManifest(actorOf(ctx), manifest, options);
    } catch (err) {
      throw isAppError(err) && err.code === 'import_failed' ? new AppError(err.kind, err.code, err.message, errorEntries(err.details)) : err;
    }
    sendData(ctx, importReply(mode, result));
  });
}

/** Manifest problems are reported at their place in the request body (`manifest.clients[0].…`). */
function inBody(validate: () => ImportManifest): ImportManifest {
  try {
    return validate();
  } catch (err) {
    if (!isAppError(err) || err.code !== 'validation_failed' || !Array.isArray(err.details)) throw err;
    const details = (err.details as ProvisioningProblem[]).map((p) => ({ path: `manifest.${p.path}`, message: p.message }));
    throw new AppError('invalid', 'validation_failed', err.message, details);
  }
}

const errorEntries = (details: unknown) =>
  (Array.isArray(details) ? (details as ProvisioningFailure[]) : []).map(({ type, slug, error, message }) => ({ type, slug, error, message }));

/** `{ mode, created, updated, skipped, errors, credentials }`; secrets only when this run created them. */
export function importReply(mode: ImportMode, result: ProvisionResult) {
  const of = (action: string) => result.entries.filter((e) => e.action === action);
  return {
    mode,
    created: of('created').map((e) => ({ type: e.type, slug: e.key, name: e.name, id: e.id })),
    updated: of('updated').map((e) => ({ type: e.type, slug: e.key, name: e.name, id: e.id, changes: e.changes ?? [] })),
    skipped: of('skipped').map((e) => ({ type: e.type, slug: e.key, name: e.name, id: e.id, reason: e.reason ?? 'exists' })),
    errors: [] as Array<{ type: string; slug: string; error: string }>,
    credentials: result.credentials.map((c) => ({
      organizationSlug: c.organizationSlug,
      applicationSlug: c.applicationSlug,
      clientName: c.clientName,
      clientId: c.clientId,
      clientType: c.clientType,
      ...(c.isNewSecret
        ? {
            ...(c.secretPlaintext === undefined ? {} : { secretPlaintext: c.secretPlaintext }),
            ...(c.secretId === undefined ? {} : { secretId: c.secretId }),
            secretLabel: c.secretLabel ?? null,
            secretExpiresAt: c.secretExpiresAt ?? null,
          }
        : {}),
    })),
  };
}
