import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import layoutTemplate from '../../../../templates/default/layouts/main.hbs?raw';
import loginMessages from '../../../../locales/default/en/login.json?raw';
import passkeyMessages from '../../../../locales/default/en/passkeys.json?raw';
import type { LoginMethod } from './api';

/** Porta's pages fall back to this colour (src/oidc/pages.ts). */
export const DEFAULT_PRIMARY = '#2563eb';
const COLOR = /^#[0-9a-fA-F]{6}$/;

export interface PreviewBranding {
  companyName: string;
  primaryColor: string;
  logoUrl: string | null;
  customCss: string;
}

const login = JSON.parse(loginMessages) as Record<string, string>;
const passkeys = JSON.parse(passkeyMessages) as Record<string, unknown>;
const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '');

/** The default styles of the real page layout, with the draft colour where the template puts the organization's. */
function layoutCss(primaryColor: string): string {
  const css = /<style>([\s\S]*?)<\/style>/.exec(layoutTemplate)?.[1] ?? '';
  return css.replace('{{branding.primaryColor}}', COLOR.test(primaryColor) ? primaryColor : DEFAULT_PRIMARY);
}

/** WCAG relative luminance contrast of the primary colour against the white button text. */
export function contrastWithWhite(hex: string): number {
  if (!COLOR.test(hex)) return 21;
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (l + 0.05);
}

/**
 * A live preview of the organization's sign-in page: the markup of templates/default/pages/login.hbs with
 * the styles of the real layout and the draft custom CSS, in a frame of its own so neither leaks into the
 * console. The styles are constructed style sheets (the console's CSP allows no inline style), the frame
 * runs no script and is inert: it is a picture, not a form.
 */
export function LoginPreview({ branding, methods, orgName }: { branding: PreviewBranding; methods: LoginMethod[]; orgName: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [body, setBody] = useState<HTMLElement | null>(null);

  const attach = () => {
    const doc = frame.current?.contentDocument;
    if (!doc?.body) return;
    doc.documentElement.lang = 'en';
    doc.title = 'Sign-in page preview';
    doc.body.inert = true;
    setBody(doc.body);
  };
  useEffect(attach, []);

  useEffect(() => {
    const doc = body?.ownerDocument;
    const view = doc?.defaultView;
    if (!doc || !view) return;
    const base = new view.CSSStyleSheet();
    base.replaceSync(layoutCss(branding.primaryColor));
    const custom = new view.CSSStyleSheet();
    try {
      custom.replaceSync(branding.customCss);
    } catch {
      // Unparsable CSS shows as no custom CSS; saving reports what the API refuses.
    }
    doc.adoptedStyleSheets = [base, custom];
  }, [body, branding.primaryColor, branding.customCss]);

  const company = branding.companyName.trim() || orgName;
  const showPassword = methods.includes('password');
  const showMagicLink = methods.includes('magic_link');
  const showEmailForm = showPassword || showMagicLink;
  const page = (
    <main>
      <header className="brand">{branding.logoUrl ? <img src={branding.logoUrl} alt={company} /> : company}</header>
      <h1>{fill(login.title ?? '', { client: 'Example app' })}</h1>
      <p className="muted">{fill(login.subtitle ?? '', { org: company })}</p>
      {showEmailForm ? (
        <form onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="preview-email">{login.email}</label>
          <input id="preview-email" type="email" defaultValue="" readOnly />
          {showPassword ? (
            <>
              <label htmlFor="preview-password">{login.password}</label>
              <input id="preview-password" type="password" readOnly />
              <button className="primary" type="button">{login.submit}</button>
            </>
          ) : null}
          {showMagicLink ? <button className="secondary" type="button">{login.magic_link}</button> : null}
        </form>
      ) : null}
      {methods.includes('passkey') ? (
        <div className="passkey">
          {showEmailForm ? <p className="divider muted">{String(passkeys.or)}</p> : null}
          <button className={showEmailForm ? 'secondary' : 'primary'} type="button">{String(passkeys.sign_in)}</button>
        </div>
      ) : null}
      {showPassword ? <a className="link" href="#preview">{login.forgot_password}</a> : null}
      {branding.logoUrl ? <footer className="footer muted">{company}</footer> : null}
    </main>
  );

  return (
    <div className="login-preview">
      <iframe ref={frame} title="Sign-in page preview" className="login-preview-frame" onLoad={attach} />
      {body ? createPortal(page, body) : null}
    </div>
  );
}
