import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { printJson, printLine, printNote, dataOf, emit, printRecord, say } from '../output.js';
import { ask } from '../prompt.js';
import { imageTypeOf } from '../file-type.js';
import { apiAction } from '../api/session.js';
import { orgPath, type Organization } from './org.js';

const ASSET_TYPES = ['logo', 'favicon'];

function assetType(value: string): string {
  if (!ASSET_TYPES.includes(value)) throw new CliError(`The asset type is logo or favicon, not "${value}".`, EXIT.usage);
  return value;
}

interface DestroyResult {
  dryRun?: boolean;
  organization: Organization;
  cascadeCounts: Record<string, number>;
}

/** Spec 30 §1: `org destroy` asks to type the slug (unless --force); without a terminal it refuses. */
async function confirmBySlug(g: GlobalOptions, slug: string): Promise<void> {
  if (g.force) return;
  if (!process.stdin.isTTY) throw new CliError('Refusing without a terminal to confirm: pass --force.', EXIT.usage);
  const typed = (await ask(`Type the organization's slug (${slug}) to destroy it for good: `)).trim();
  if (typed !== slug) throw new CliError('The slug does not match; nothing was destroyed.', EXIT.usage);
}

function printCascade(result: DestroyResult): void {
  printRecord({ organization: `${result.organization.slug} (${result.organization.id})`, ...result.cascadeCounts });
}

/** `org branding-asset`, `org two-factor`, `org destroy` (spec 30 §4). */
export function registerOrgExtras(org: Command): void {
  const asset = org.command('branding-asset').description('uploaded logo and favicon, served at /{org}/branding/{type}');

  asset
    .command('upload <org> <type> <file>')
    .description('upload a logo or favicon (PNG, JPEG, WebP, SVG, ICO; type from the file signature)')
    .action(
      apiAction(async (api, g, [ref, type, file]) => {
        let data: Buffer;
        try {
          data = fs.readFileSync(file!);
        } catch (err) {
          throw new CliError(`Cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
        }
        const contentType = imageTypeOf(data);
        if (!contentType) throw new CliError(`${file} is not a PNG, JPEG, WebP, SVG or ICO image.`, EXIT.usage);
        const body = (await api.request('PUT', orgPath(ref!, `/branding/${assetType(type!)}`), { raw: { data, contentType } })).body;
        emit(g, body, () => {
          printLine(`Uploaded the ${type} (${contentType}, ${data.length} bytes).`);
          printRecord(dataOf(body));
        });
      }),
    );

  asset
    .command('delete <org> <type>')
    .description('delete the uploaded logo or favicon (the URL fields apply again)')
    .action(
      apiAction(async (api, g, [ref, type]) => {
        await api.delete(orgPath(ref!, `/branding/${assetType(type!)}`));
        say(g, `Deleted the ${type} of organization ${ref}.`);
      }),
    );

  org
    .command('two-factor <org>')
    .description('show the two-factor policy and enrolment summary, or set it with --policy')
    .option('--policy <policy>', 'optional, required_email, required_totp, required_any or required_passkey')
    .action(
      apiAction<{ policy?: string }>(async (api, g, [ref], o) => {
        if (o.policy !== undefined) {
          const body = await api.put(orgPath(ref!, '/two-factor/policy'), { twoFactorPolicy: o.policy });
          return emit(g, body, () => printLine(`Two-factor policy of ${ref}: ${dataOf<{ twoFactorPolicy: string }>(body).twoFactorPolicy}`));
        }
        const policy = await api.get(orgPath(ref!, '/two-factor/policy'));
        // The summary also needs user:read (and may be missing on an older server): then the policy alone is shown.
        const summary = await api.get(orgPath(ref!, '/two-factor/summary')).catch((err: unknown) => {
          if (err instanceof CliError && (err.exitCode === EXIT.permission || err.exitCode === EXIT.notFound)) return null;
          throw err;
        });
        if (g.json) return printJson({ policy, summary });
        printRecord({ ...dataOf<Record<string, unknown>>(policy), ...(summary ? dataOf<Record<string, unknown>>(summary) : {}) });
      }),
    );

  org
    .command('destroy <org>')
    .description('delete an organization and everything in it for good (shows the counts, then asks for the slug)')
    .option('--dry-run', 'only show what would be deleted')
    .action(
      apiAction<{ dryRun?: boolean }>(async (api, g, [ref], o) => {
        const previewBody = await api.delete(orgPath(ref!), { query: { 'dry-run': 'true' } });
        const preview = dataOf<DestroyResult>(previewBody);
        if (o.dryRun) return emit(g, previewBody, () => {
          printLine('Dry run: destroying this organization would delete:');
          printCascade(preview);
        });
        if (!g.json) {
          printNote('Destroying this organization deletes for good:');
          printNote(`  organization ${preview.organization.slug} (${preview.organization.id})`);
          for (const [what, n] of Object.entries(preview.cascadeCounts)) printNote(`  ${what}: ${n}`);
        }
        await confirmBySlug(g, preview.organization.slug);
        const body = await api.delete(orgPath(preview.organization.id));
        const result = dataOf<DestroyResult>(body);
        emit(g, body, () => {
          printLine(`Destroyed organization ${result.organization.slug}.`);
          printCascade(result);
        });
      }),
    );
}
