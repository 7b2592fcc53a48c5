import { createRequire } from 'node:module';

/** The package version (sources run by tsx and the built `dist/` both sit one level below package.json). */
export const PORTA_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
