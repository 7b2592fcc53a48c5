/**
 * What browser-facing pages and the HTTP edge share: request bodies, CSRF, rendering, messages and the
 * page CSP. It imports neither `http/` nor `oidc/`; both import it.
 */
export { DEFAULT_BODY_LIMIT, readBodies, rawBody, jsonBody, formBody, formFields, handOverBody } from './body.js';
export { InputRejected, checkRequestTarget } from './input.js';
export { CSRF_COOKIE, issueCsrfToken, isCsrfValid } from './csrf.js';
export { HTML_CSP, JSON_CSP, htmlCsp, scriptHash, originsOf, withFormActions } from './csp.js';
export { loadI18n, preferredTags, NAMESPACES, SUPPORTED_LOCALES, type I18n, type Messages, type PagesWarning, type WarnPages } from './i18n.js';
export { createHandlebars, createPages, createRenderer, LOCALES_DIR, TEMPLATES_DIR, type Branding, type PageContext, type Pages, type PagesOptions, type Renderer } from './render.js';
export { createTemplateFiles, type TemplateFiles } from './templates.js';
export { STATIC_DIR, staticAssets, type StaticAsset, type StaticAssets } from './static-assets.js';
