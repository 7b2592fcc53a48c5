import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Porta's own browser scripts (`static/`), shipped beside `templates/` and `locales/`. */
export const STATIC_DIR = fileURLToPath(new URL('../../static', import.meta.url));

/** A file Porta serves itself (no CDN, spec 70 §1), under a path that changes whenever its bytes do. */
export interface StaticAsset {
  /** `/static/…`, versioned: cached for a year and never revalidated. */
  urlPath: string;
  body: Buffer;
  contentType: string;
}

export interface StaticAssets {
  /** `@simplewebauthn/browser`'s prebuilt bundle (global `SimpleWebAuthnBrowser`), at its version's path. */
  webauthnLibrary: StaticAsset;
  /** The passkey pages' wiring (`static/passkeys.js`), at a path naming its content hash. */
  passkeyScript: StaticAsset;
  all(): StaticAsset[];
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';

function webauthnLibrary(): StaticAsset {
  // The package exports only its modules: find its folder from its entry point, then the UMD bundle beside them.
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    urlPath: `/static/webauthn/simplewebauthn-browser-${version}.umd.min.js`,
    body: fs.readFileSync(path.join(root, 'dist', 'bundle', 'index.umd.min.js')),
    contentType: JAVASCRIPT,
  };
}

/** `static/{name}.js`, served as `/static/{name}/{name}-{content hash}.js`. */
function ownScript(name: string): StaticAsset {
  const body = fs.readFileSync(path.join(STATIC_DIR, `${name}.js`));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { urlPath: `/static/${name}/${name}-${hash}.js`, body, contentType: JAVASCRIPT };
}

let loaded: StaticAssets | undefined;

/** Read once per process: the files are part of the release, like the code. */
export function staticAssets(): StaticAssets {
  if (!loaded) {
    const assets = { webauthnLibrary: webauthnLibrary(), passkeyScript: ownScript('passkeys') };
    loaded = { ...assets, all: () => Object.values(assets) };
  }
  return loaded;
}
