import type { Config } from '../config/index.js';
import type { Log } from '../platform/log.js';
import type { BrandingService } from '../branding/index.js';
import type { OrganizationService } from '../organizations/index.js';
import { createPages, type Pages } from '../pages/index.js';
import { createMailRenderer, type MailBranding, type MailRenderer, type RenderedParts } from './render.js';
import type { MailMessage } from './schema.js';

const DEFAULT_COLOR = '#2563eb';

/** A message as it will leave: its parts, the language they are in, and the absolute links it carries. */
export interface ComposedMail extends RenderedParts {
  locale: string;
  links: string[];
}

/**
 * Turns a queued message into its subject, HTML and text, the one way both the delivery worker and the
 * invitation preview do it: the organization's branding, and the language of spec 60 §11 without the
 * request's parts (the message's locale, the organization's `default_locale`, the system config
 * `default_locale`, `en`).
 */
export interface MailComposer {
  /** null when the organization no longer exists. */
  compose(message: Pick<MailMessage, 'organizationId' | 'template' | 'locale' | 'data'>): Promise<ComposedMail | null>;
  /** The server's templates and messages (a mounted set, per-organization overrides). */
  usePages(pages: Pick<Pages, 'templates' | 'i18n'>): void;
}

export interface MailComposerDeps {
  config: Readonly<Config>;
  log: Log;
  organizations: Pick<OrganizationService, 'findById'>;
  branding: Pick<BrandingService, 'versions'>;
  /** The system config `default_locale`, read for each message (a cached read). */
  configuredLocale?: () => Promise<string | null | undefined>;
}

export function createMailComposer(deps: MailComposerDeps): MailComposer {
  const { config, log } = deps;
  // Templates and messages are read on the first message, not at start-up (most processes send none).
  let rendering: { renderer: MailRenderer; pages: Pick<Pages, 'templates' | 'i18n'> } | undefined;
  const renderingWith = (pages: Pick<Pages, 'templates' | 'i18n'>) => ({
    renderer: createMailRenderer({ templates: pages.templates, i18n: pages.i18n, issuerBaseUrl: config.issuerBaseUrl }),
    pages,
  });
  const renderingOf = () => (rendering ??= renderingWith(createPages({ isReloading: config.env === 'development' })));

  async function configuredLocale(): Promise<string | null> {
    try {
      return (await deps.configuredLocale?.()) ?? null;
    } catch (err) {
      log.warn({ err }, 'mail.default_locale_unreadable');
      return null;
    }
  }

  async function brandingOf(orgId: string): Promise<{ slug: string; locale: string; branding: MailBranding } | null> {
    const org = await deps.organizations.findById(orgId);
    if (!org) return null;
    let logoUrl: string | null = org.branding.logoUrl && /^https?:\/\//.test(org.branding.logoUrl) ? org.branding.logoUrl : null;
    try {
      const versions = await deps.branding.versions(org.id);
      if (versions.logo) logoUrl = `${config.issuerBaseUrl}/${org.slug}/branding/logo?v=${versions.logo.slice(0, 12)}`;
    } catch (err) {
      log.warn({ err, organizationId: org.id }, 'branding.lookup_failed');
    }
    const color = org.branding.primaryColor && /^#[0-9a-fA-F]{6}$/.test(org.branding.primaryColor) ? org.branding.primaryColor : DEFAULT_COLOR;
    return { slug: org.slug, locale: org.defaultLocale, branding: { companyName: org.branding.companyName ?? org.name, primaryColor: color, logoUrl } };
  }

  return {
    async compose(message) {
      const org = await brandingOf(message.organizationId);
      if (!org) return null;
      const { renderer, pages } = renderingOf();
      // An unsupported organization locale (say `it`) falls through to the configured one, then `en`.
      const locale = pages.i18n.resolve([message.locale, org.locale, await configuredLocale()]);
      const parts = renderer.render(message.template, { locale, orgSlug: org.slug, branding: org.branding, data: message.data });
      return { ...parts, locale, links: renderer.linksOf(message.data) };
    },
    usePages(pages) {
      rendering = renderingWith(pages);
    },
  };
}
