import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/boundaries', import.meta.url));
const CLI = fileURLToPath(new URL('../../node_modules/dependency-cruiser/bin/dependency-cruiser.mjs', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../.dependency-cruiser.mjs', import.meta.url));

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs the project's rules, as `npm run lint` does, on `src` under `cwd`. */
function cruise(cwd: string): Violation[] {
  const run = spawnSync(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`depcruise printed nothing: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** Packages resolve from the project's node_modules, wherever that lies. */
const brief = (v: Violation) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*?(?=node_modules\/)/, '')}`;

describe('import boundaries (.dependency-cruiser.mjs)', () => {
  it('reports each deliberate violation of the fixture tree by rule name, and nothing it allows', () => {
    expect(cruise(FIXTURE).map(brief).sort()).toEqual([
      'account-portal-imports-edge-or-repo: src/account-portal/pages.ts -> src/oidc/engine.ts',
      'account-portal-imports-edge-or-repo: src/account-portal/pages.ts -> src/users/repo.ts',
      'admin-route-imports-repo: src/http/admin/users.ts -> src/rbac/role-repo.ts',
      'admin-route-imports-repo: src/http/admin/users.ts -> src/users/repo.ts',
      'domain-imports-edge: src/users/service.ts -> src/cli/name.ts',
      'domain-imports-edge: src/users/service.ts -> src/oidc/types.ts',
      'http-imports-oidc: src/http/tenant.ts -> src/oidc/engine.ts',
      'ioredis-outside-platform-kv: src/sessions/cache.ts -> node_modules/ioredis/built/index.js',
      'oidc-imports-http: src/oidc/engine.ts -> src/http/headers.ts',
      'opentelemetry-outside-platform-tracing: src/oidc/tracing.ts -> node_modules/@opentelemetry/api/dist/index.d.cts',
      'pages-imports-edge: src/pages/index.ts -> src/oidc/name.ts',
      'pg-outside-platform-db: src/users/repo.ts -> node_modules/pg/esm/index.mjs',
      'prom-client-outside-http-metrics: src/users/metrics.ts -> node_modules/prom-client/index.js',
      'unresolvable-import: src/pages/missing.js -> ./does-not-exist.js',
    ]);
  });

  it('holds on src/', () => {
    expect(cruise(ROOT).map(brief)).toEqual([]);
  });
});
