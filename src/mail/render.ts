import type Handlebars from 'handlebars';
import { createHandlebars, type I18n, type TemplateFiles } from '../pages/index.js';
import type { MailTemplate } from './schema.js';

/** What an e-mail shows of its organization (spec 60 §10): the same logo, colour and name as its pages. */
export interface MailBranding {
  companyName: string;
  primaryColor: string;
  /** Absolute (an e-mail has no base URL). */
  logoUrl: string | null;
}

export interface MailRenderContext {
  locale: string;
  orgSlug: string;
  branding: MailBranding;
  data: Record<string, unknown>;
}

export interface RenderedParts {
  subject: string;
  html: string;
  text: string;
}

export interface MailRenderer {
  render(template: MailTemplate, context: MailRenderContext): RenderedParts;
  /** Every absolute link the message carries (`data.link` and `…Url` / `…Link` values). */
  linksOf(data: Record<string, unknown>): string[];
}

const LINK_KEY = /^(link|.+Url|.+Link)$/;

/** The file name of an outbox template (spec 60 §9): `magic_link` → `emails/magic-link.hbs`, `…/magic-link.txt.hbs`. */
export const mailFileName = (template: MailTemplate): string => template.replace(/_/g, '-');

/**
 * The subject message (spec 60 §8, namespace `emails`): `{template}.subject` with `{company}` and, for
 * an invitation, `{inviter}`; never the e-mail's data otherwise (an OTP code stays out of the subject).
 */
function subjectOf(i18n: I18n, template: MailTemplate, context: MailRenderContext): string {
  const inviter = typeof context.data.inviterName === 'string' && context.data.inviterName !== '' ? context.data.inviterName : undefined;
  const key = template === 'invitation' && !inviter ? 'emails.invitation.subject_anonymous' : `emails.${template}.subject`;
  return i18n.t(context.locale, key, { company: context.branding.companyName, inviter }, context.orgSlug);
}

/**
 * `templates/default/emails/{name}.hbs` (HTML) and `{name}.txt.hbs` (text) inside `layout.hbs` and
 * `layout.txt.hbs`; an organization's `templates/{orgSlug}/emails/` file replaces the default one. The
 * subject is the `emails` message of the template. The HTML part escapes every variable; the subject and
 * text parts are plain text. Links in `data` must be absolute URLs on ISSUER_BASE_URL or paths below it:
 * a message never carries a link built from a request's Host.
 */
export function createMailRenderer(deps: { templates: TemplateFiles; i18n: I18n; issuerBaseUrl: string }): MailRenderer {
  const issuer = new URL(deps.issuerBaseUrl);
  const html = withHelpers(createHandlebars(deps.i18n), true);
  const text = withHelpers(createHandlebars(deps.i18n), false);
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const compile = (hb: typeof Handlebars, rel: string, orgSlug: string, isPlain: boolean) => {
    const file = deps.templates.resolve(rel, orgSlug);
    const key = `${isPlain ? 'text' : 'html'}:${file}`;
    let tpl = deps.templates.isCached ? compiled.get(key) : undefined;
    if (!tpl) {
      tpl = hb.compile(deps.templates.read(file), { noEscape: isPlain, strict: false });
      if (deps.templates.isCached) compiled.set(key, tpl);
    }
    return tpl;
  };
  // Read on the first message (a template set without e-mails still starts), again on each in development.
  let hasPartials = false;
  const registerPartials = () => {
    if (hasPartials && deps.templates.isCached) return;
    for (const name of ['button', 'link-fallback']) {
      html.registerPartial(name, deps.templates.read(deps.templates.resolve(`emails/${name}.partial.hbs`)));
    }
    hasPartials = true;
  };

  const absolute = (value: unknown, key: string): string => {
    if (typeof value !== 'string' || value === '') throw new Error(`mail data ${key} must be a URL`);
    const url = value.startsWith('/') && !value.startsWith('//') ? new URL(value, issuer) : new URL(value);
    if (url.origin !== issuer.origin) throw new Error(`mail data ${key} is not on ISSUER_BASE_URL`);
    return url.href;
  };
  const normalize = (data: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, LINK_KEY.test(k) && v !== undefined && v !== null ? absolute(v, k) : v]));

  return {
    render(template, context) {
      registerPartials();
      const root = { ...context, data: normalize(context.data) };
      const subject = subjectOf(deps.i18n, template, context).replace(/[\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
      const name = mailFileName(template);
      const htmlBody = compile(html, `emails/${name}.hbs`, context.orgSlug, false)(root);
      const textBody = compile(text, `emails/${name}.txt.hbs`, context.orgSlug, true)(root);
      return {
        subject,
        html: compile(html, 'emails/layout.hbs', context.orgSlug, false)({ ...root, subject, body: new html.SafeString(htmlBody) }),
        text: `${compile(text, 'emails/layout.txt.hbs', context.orgSlug, true)({ ...root, subject, body: textBody.trim() })
          .replace(/\n{3,}/g, '\n\n')
          .trim()}\n`,
      };
    },
    linksOf(data) {
      return Object.entries(normalize(data))
        .filter(([k, v]) => LINK_KEY.test(k) && typeof v === 'string')
        .map(([, v]) => v as string);
    },
  };
}

/** `date` (an ISO time in the message's locale, UTC) and `lines` (escaped text with its line breaks). */
function withHelpers(hb: typeof Handlebars, isHtml: boolean): typeof Handlebars {
  hb.registerHelper('date', function (value: unknown, options: Handlebars.HelperOptions) {
    const locale = (options.data as { root: MailRenderContext }).root.locale;
    const at = typeof value === 'string' || typeof value === 'number' || value instanceof Date ? new Date(value) : undefined;
    if (!at || Number.isNaN(at.getTime())) return '';
    return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`;
  });
  hb.registerHelper('lines', (value: unknown) => {
    const s = typeof value === 'string' ? value : '';
    if (!isHtml) return s;
    return new hb.SafeString(s.split(/\r?\n/).map((line) => hb.Utils.escapeExpression(line)).join('<br>'));
  });
  return hb;
}
