#!/usr/bin/env node
// In a checkout the TypeScript sources run through tsx; an image without src/ runs the compiled dist/.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// V8's compiled code for the modules a command loads, kept between runs (Node 22.1+; keyed by content).
module.enableCompileCache?.();

const source = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url));
if (existsSync(source)) {
  // A checkout is a developer's machine: like `npm start`, development unless NODE_ENV says otherwise.
  // The image (dist/, no src/) stays production by default, as the deployment guide says.
  process.env.NODE_ENV ??= 'development';
  // Loaded before tsx hooks in: tsx would otherwise pass each of their files through its hooks (rewriting
  // PGlite's dynamic imports with source maps), about 0.3 s of a direct-mode command for nothing.
  await Promise.all([import('@electric-sql/pglite'), import('zod')]);
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(new URL('../dist/cli/index.js', import.meta.url).href);
}
