import { fileFieldName, type ConvertedFile } from '../../provisioning/index.js';
import { printLine, printTable } from '../output.js';

interface Entry {
  type: string;
  slug: string;
  /** Not in spec 20 §5.9's entries yet; passed on when the answer has it. */
  id?: string | null;
}

/** `POST /api/admin/import` answer (spec 20 §5.9). */
export interface ImportReply {
  mode: 'merge' | 'overwrite' | 'dry-run';
  created: Array<Entry & { name: string }>;
  updated: Array<Entry & { name: string; changes: string[] }>;
  skipped: Array<Entry & { reason: string }>;
  credentials: Array<{
    organizationSlug: string;
    applicationSlug: string;
    clientName: string;
    clientId: string | null;
    secretPlaintext?: string;
    secretId?: string;
  }>;
}

type Action = 'created' | 'updated' | 'skipped';

/** One object of the file and what the import did with it. */
interface Item {
  action: Action;
  type: string;
  key: string;
  name: string;
  path: string;
  id?: string | null;
  organizationSlug?: string;
  applicationSlug?: string;
  changes?: string[];
  reason?: string;
}

interface Place {
  type: string;
  key: string;
  name: string;
  path: string;
  organizationSlug?: string;
  applicationSlug?: string;
}

/** Every object of the file with its place, named by the key the import reports it under. */
function placesOf({ manifest: m, filePaths }: ConvertedFile, reply: ImportReply): Place[] {
  const at = (list: string, i: number) => filePaths.get(`${list}[${i}]`) ?? `${list}[${i}]`;
  return [
    ...m.organizations.map((o, i) => ({ type: 'organization', key: o.slug, name: o.name, path: at('organizations', i) })),
    ...m.applications.map((a, i) => ({ type: 'application', key: a.slug, name: a.name, path: at('applications', i) })),
    ...m.application_modules.map((x, i) => ({ type: 'module', key: x.slug, name: x.name, path: at('application_modules', i), applicationSlug: x.application_slug })),
    // Credentials come one per manifest client, in order: they know the client_id the import gave or found.
    ...m.clients.map((c, i) => ({
      type: 'client', key: reply.credentials[i]?.clientId ?? c.client_id ?? c.client_name, name: c.client_name, path: at('clients', i),
      organizationSlug: c.organization_slug, applicationSlug: c.application_slug,
    })),
    ...m.users.map((u, i) => ({
      type: 'user', key: u.email, name: [u.given_name, u.family_name].filter(Boolean).join(' ') || u.email, path: at('users', i), organizationSlug: u.organization_slug,
    })),
  ];
}

/** The import's entries in file order, each with its place in the file. */
function itemsOf(reply: ImportReply, converted: ConvertedFile): Item[] {
  const places = placesOf(converted, reply);
  const taken = new Set<number>();
  const entries: Array<Entry & { action: Action; name?: string; changes?: string[]; reason?: string }> = [
    ...reply.created.map((e) => ({ action: 'created' as const, ...e })),
    ...reply.updated.map((e) => ({ action: 'updated' as const, ...e })),
    ...reply.skipped.map((e) => ({ action: 'skipped' as const, ...e })),
  ];
  const items = entries.map((e) => {
    const i = places.findIndex((p, j) => !taken.has(j) && p.type === e.type && p.key === e.slug);
    taken.add(i);
    const place = places[i] ?? { type: e.type, key: e.slug, name: e.slug, path: '' };
    return {
      order: i < 0 ? places.length : i,
      item: {
        action: e.action, ...place, name: e.name ?? place.name, ...(e.id === undefined ? {} : { id: e.id }),
        ...(e.changes ? { changes: e.changes.map(fileFieldName) } : {}), ...(e.reason ? { reason: e.reason } : {}),
      },
    };
  });
  return items.sort((a, b) => a.order - b.order).map((x) => x.item);
}

/** Per client of the file: its client_id, and a secret this run stored or the file gave (30-cli §7). */
function clientsOf(reply: ImportReply, converted: ConvertedFile) {
  return reply.credentials.map((c, i) => {
    const secret = c.secretPlaintext ?? converted.manifest.clients[i]?.secret_value;
    return {
      organizationSlug: c.organizationSlug,
      applicationSlug: c.applicationSlug,
      clientName: c.clientName,
      clientId: c.clientId,
      ...(secret === undefined ? {} : { clientSecret: secret }),
    };
  });
}

function counts(items: readonly Item[]) {
  const c = { created: 0, updated: 0, skipped: 0 };
  for (const item of items) c[item.action]++;
  return c;
}

/** 30-cli §7 shape, plus `mode` and `items` (every object with its place in the file). */
export function provisionedJson(reply: ImportReply, converted: ConvertedFile, mode: 'merge' | 'overwrite') {
  const items = itemsOf(reply, converted);
  return { dryRun: reply.mode === 'dry-run', mode, ...counts(items), clients: clientsOf(reply, converted), items };
}

const DRY_RUN_ACTIONS = { created: 'create', updated: 'update', skipped: 'keep' } as const;

export function printProvisioned(reply: ImportReply, converted: ConvertedFile, mode: 'merge' | 'overwrite'): void {
  const items = itemsOf(reply, converted);
  const isDryRun = reply.mode === 'dry-run';
  const c = counts(items);
  printLine(
    isDryRun
      ? `Dry run (${mode}): would create ${c.created}, update ${c.updated}, keep ${c.skipped}. Nothing was changed.\n`
      : `Provisioned (${mode}): ${c.created} created, ${c.updated} updated, ${c.skipped} unchanged.\n`,
  );
  printTable(
    items.map((e) => ({
      action: isDryRun ? DRY_RUN_ACTIONS[e.action] : e.action,
      type: e.type,
      key: e.organizationSlug ? `${e.organizationSlug}/${e.key}` : e.key,
      name: e.name,
      changes: e.changes?.join(', ') ?? (e.reason === 'exists' ? 'exists, kept' : ''),
    })),
    ['action', 'type', 'key', 'name', 'changes'],
  );
  const clients = clientsOf(reply, converted);
  if (clients.length === 0) return;
  printLine('\nClients:');
  printTable(
    clients.map((cr) => ({
      organization: cr.organizationSlug,
      application: cr.applicationSlug,
      name: cr.clientName,
      client_id: cr.clientId ?? '(generated on apply)',
      secret: cr.clientSecret ?? '',
    })),
    ['organization', 'application', 'name', 'client_id', 'secret'],
  );
  if (reply.credentials.some((cr) => cr.secretId !== undefined)) {
    printLine('\nSecrets stored by this run are shown once — store them now. Porta keeps only their hashes.');
  }
}
