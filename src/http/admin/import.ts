import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, isAppError } from '../../platform/errors.js';
import type { ImportManifest, ProvisioningFailure, ProvisioningProblem, ProvisionResult } from '../../provisioning/index.js';
import type { AdminDeps } from './deps.js';
import { audit, body, principalOf, requirePermission, sendData } from './kit.js';

export const IMPORT_MODES = ['merge', 'overwrite', 'dry-run'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const ImportBody = z.strictObject({
  mode: z.enum(IMPORT_MODES).default('dry-run'),
  manifest: z.record(z.string(), z.unknown()),
});

/** `POST /import` (spec 20 §5.9): one transaction; any refused entry → 422 `import_failed` with every error entry. */
export function importRoutes(router: Router, deps: AdminDeps): void {
  const { provisioning } = deps.services;

  router.post('/import', requirePermission('admin:import:write'), async (ctx) => {
    const input = await body(ctx, ImportBody);
    const manifest = inBody(() => provisioning.validateManifest(input.manifest));
    const { mode } = input;
    let result: ProvisionResult;
    try {
      const options = mode === 'dry-run' ? { mode: 'merge' as const, isDryRun: true } : { mode, isDryRun: false };
      result = await provisioning.importManifest(manifest, { ...options, actorId: principalOf(ctx).userId });
    } catch (err) {
      throw isAppError(err) && err.code === 'import_failed' ? new AppError(err.kind, err.code, err.message, errorEntries(err.details)) : err;
    }
    const reply = importReply(mode, result);
    await audit(ctx, deps, {
      eventType: 'import.completed',
      metadata: { mode, created: reply.created.length, updated: reply.updated.length, skipped: reply.skipped.length },
    });
    sendData(ctx, reply);
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

const errorEntries = (details: unknown) => (Array.isArray(details) ? (details as ProvisioningFailure[]) : []).map(({ type, slug, error }) => ({ type, slug, error }));

/** `{ mode, created, updated, skipped, errors, credentials }`; secrets only when this run created them. */
export function importReply(mode: ImportMode, result: ProvisionResult) {
  const of = (action: string) => result.entries.filter((e) => e.action === action);
  return {
    mode,
    created: of('created').map((e) => ({ type: e.type, slug: e.key, name: e.name })),
    updated: of('updated').map((e) => ({ type: e.type, slug: e.key, name: e.name, changes: e.changes ?? [] })),
    skipped: of('skipped').map((e) => ({ type: e.type, slug: e.key, reason: e.reason ?? 'exists' })),
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
