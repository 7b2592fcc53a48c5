/**
 * Import boundaries of src/ (docs/architecture.md), checked by `npm run lint`. Paths are relative to the
 * folder depcruise runs in, so test/lint/boundaries.test.ts can run these rules on a fixture tree.
 */

/** Every top-level folder of src/ that is not an edge or infrastructure is a domain. */
const DOMAIN = '^src/(?!(?:http|oidc|cli|account-portal|pages|platform|config)/)[^/]+/';
/** npm packages, wherever node resolves them from (a fixture tree resolves the project's node_modules). */
const pkg = (names) => `(^|/)node_modules/(@types/)?(${names})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'domain-imports-edge',
      comment: 'Domains hold the product; http/, oidc/, cli/ and account-portal/ call them, never the other way round.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/(http|oidc|cli|account-portal)/' },
    },
    {
      name: 'account-portal-imports-edge-or-repo',
      comment: 'The account portal is an edge of its own: domain services through their index.ts, the code exchange handed in by app.ts; never another edge or a repo.',
      severity: 'error',
      from: { path: '^src/account-portal/' },
      to: { path: '^src/(http|oidc|cli)/|^src/[^/]+/(repo|[^/]+-repo)\\.ts$' },
    },
    {
      name: 'pg-outside-platform-db',
      comment: 'Only src/platform/db/ talks to PostgreSQL or PGlite; everything else goes through Db.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/db/' },
      to: { path: pkg('pg|@electric-sql/pglite') },
    },
    {
      name: 'ioredis-outside-platform-kv',
      comment: 'Only src/platform/kv/ talks to Redis; everything else goes through Kv.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/kv/' },
      to: { path: pkg('ioredis') },
    },
    {
      name: 'prom-client-outside-http-metrics',
      comment: 'Code records through the Metrics interface of platform/metrics.ts; only http/metrics.ts knows prom-client.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/http/metrics\\.ts$' },
      to: { path: pkg('prom-client') },
    },
    {
      name: 'opentelemetry-outside-platform-tracing',
      comment: 'Tracing starts once, before main.ts imports the app; only platform/tracing.ts knows the SDK.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/tracing\\.ts$' },
      to: { path: pkg('@opentelemetry/[^/]+') },
    },
    {
      name: 'admin-route-imports-repo',
      comment: 'Admin routes call a domain service through its index.ts; SQL and its rules stay behind it.',
      severity: 'error',
      from: { path: '^src/http/admin/' },
      to: { path: '^src/[^/]+/(repo|[^/]+-repo)\\.ts$' },
    },
    {
      name: 'http-imports-oidc',
      comment: 'The HTTP and OIDC edges meet only in app.ts; what both need lives in src/pages/.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/oidc/' },
    },
    {
      name: 'oidc-imports-http',
      comment: 'The HTTP and OIDC edges meet only in app.ts; what both need lives in src/pages/.',
      severity: 'error',
      from: { path: '^src/oidc/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'pages-imports-edge',
      comment: 'src/pages/ serves both edges, so it imports neither (nor the CLI).',
      severity: 'error',
      from: { path: '^src/pages/' },
      to: { path: '^src/(http|oidc|cli)/' },
    },
    {
      name: 'unresolvable-import',
      comment: 'An import the rules cannot follow could hide a violation.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: they couple modules as much as value imports do.
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
    // Packages' "exports" maps, as Node reads them (`@electric-sql/pglite/contrib/…`).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'types', 'default'] },
  },
};
