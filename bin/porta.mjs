#!/usr/bin/env node
// In a checkout the TypeScript sources run through tsx; an image without src/ runs the compiled dist/.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// V8's compiled code for the modules a command loads, kept between runs (Node 22.1+; keyed by content).
module.enableCompileCache?.();

// The CLI's stderr carries its error bodies (--json). oidc-provider warns on import when Node is older
// than its supported LTS; Porta supports Node 20.19+, so that one notice is dropped here.
const warn = console.warn.bind(console);
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};

const source = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url));
if (existsSync(source)) {
  // Loaded before tsx hooks in: tsx would otherwise pass each of their files through its hooks (rewriting
  // PGlite's dynamic imports with source maps), about 0.3 s of a direct-mode command for nothing.
  await Promise.all([import('@electric-sql/pglite'), import('zod')]);
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(new URL('../dist/cli/index.js', import.meta.url).href);
}
