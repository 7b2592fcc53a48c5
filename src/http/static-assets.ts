import Router from '@koa/router';
import { staticAssets } from '../pages/index.js';

/** A versioned path never changes content: browsers and shared caches keep it for a year without asking again. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** `GET /static/…`: the browser scripts Porta serves itself (spec 70 §1: the WebAuthn library, no CDN). */
export function staticAssetRoutes(): Router {
  const router = new Router();
  for (const asset of staticAssets().all()) {
    router.get(asset.urlPath, (ctx) => {
      ctx.set('Cache-Control', IMMUTABLE_CACHE_CONTROL);
      ctx.type = asset.contentType;
      ctx.body = asset.body;
    });
  }
  return router;
}
