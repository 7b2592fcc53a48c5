import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/session';
import {
  LOCALES, TWO_FACTOR_LABELS, getTwoFactorSummary, orgKeys, setTwoFactorPolicy, updateOrganization, type LoginMethod, type Organization, type TwoFactorPolicy,
} from './api';
import { Button, CheckboxField, DetailList, ErrorMessage, SelectField, TextField, useApiMutation } from '../../components';
import { LoginMethodsField } from './login-methods-field';

/** Name, language and the switches of `PUT /organizations/:id`. */
export function GeneralTab({ org }: { org: Organization }) {
  const { can } = useAuth();
  const canEdit = can('admin:org:update');
  const [name, setName] = useState(org.name);
  const [locale, setLocale] = useState(org.defaultLocale);
  const [dynamicRegistration, setDynamicRegistration] = useState(org.dynamicRegistration);
  const [passkeyPrompt, setPasskeyPrompt] = useState(org.passkeyEnrolmentPrompt);
  const [saved, setSaved] = useState(false);
  const save = useApiMutation(
    () => updateOrganization(org.id, { name: name.trim(), defaultLocale: locale, dynamicRegistration, passkeyEnrolmentPrompt: passkeyPrompt }),
    { invalidate: [orgKeys.one(org.id), orgKeys.all] },
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved((await save.mutateAsync().catch(() => null)) !== null);
  };
  const locales = LOCALES.some((l) => l.value === org.defaultLocale) ? LOCALES : [...LOCALES, { value: org.defaultLocale, label: org.defaultLocale }];
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="General settings">
      <DetailList items={[{ label: 'Slug', value: org.slug }, { label: 'ID', value: org.id }]} />
      <TextField label="Name" name="name" value={name} onChange={(v) => { setName(v); setSaved(false); }} isRequired isDisabled={!canEdit} />
      <SelectField label="Default language" options={locales} value={locale} onChange={(v) => { setLocale(v); setSaved(false); }} />
      <CheckboxField label="Accept dynamic client registration (RFC 7591) with an initial access token" isSelected={dynamicRegistration} onChange={(v) => { setDynamicRegistration(v); setSaved(false); }} isDisabled={!canEdit || org.isSuperAdmin} />
      <CheckboxField label="Offer to add a passkey after a password sign-in" isSelected={passkeyPrompt} onChange={(v) => { setPasskeyPrompt(v); setSaved(false); }} isDisabled={!canEdit} />
      {save.error ? <ErrorMessage error={save.error} /> : null}
      {saved ? <p className="field-success" role="status">Settings saved.</p> : null}
      {canEdit ? <div className="form-actions"><Button type="submit" variant="primary" isDisabled={save.isPending || !name.trim()}>Save settings</Button></div> : null}
    </form>
  );
}

const POLICY_OPTIONS = (Object.keys(TWO_FACTOR_LABELS) as TwoFactorPolicy[]).map((value) => ({ value, label: TWO_FACTOR_LABELS[value] }));

/** Default sign-in methods, the two-factor policy and, for admins who may read users, its compliance. */
export function SignInTab({ org }: { org: Organization }) {
  const { can } = useAuth();
  const canEdit = can('admin:org:update');
  const [methods, setMethods] = useState<LoginMethod[]>(org.defaultLoginMethods);
  const [policy, setPolicy] = useState<TwoFactorPolicy>(org.twoFactorPolicy);
  const [savedMethods, setSavedMethods] = useState(false);
  const [savedPolicy, setSavedPolicy] = useState(false);
  const invalidate = { invalidate: [orgKeys.one(org.id), orgKeys.all] };
  const saveMethods = useApiMutation(() => updateOrganization(org.id, { defaultLoginMethods: methods }), invalidate);
  const savePolicy = useApiMutation(() => setTwoFactorPolicy(org.id, policy), { invalidate: [orgKeys.one(org.id), orgKeys.part(org.id, '2fa')] });
  const summary = useQuery({ queryKey: orgKeys.part(org.id, '2fa'), queryFn: () => getTwoFactorSummary(org.id), enabled: can('admin:user:read') });

  return (
    <div className="stack">
      <form className="form" aria-label="Sign-in methods" onSubmit={(e) => { e.preventDefault(); void saveMethods.mutateAsync().then(() => setSavedMethods(true), () => undefined); }}>
        <LoginMethodsField value={methods} onChange={(v) => { setMethods(v); setSavedMethods(false); }} isDisabled={!canEdit} />
        {saveMethods.error ? <ErrorMessage error={saveMethods.error} /> : null}
        {savedMethods ? <p className="field-success" role="status">Sign-in methods saved.</p> : null}
        {canEdit ? <div className="form-actions"><Button type="submit" variant="primary" isDisabled={saveMethods.isPending || methods.length === 0}>Save sign-in methods</Button></div> : null}
      </form>
      <form className="form" aria-label="Two-factor policy" onSubmit={(e) => { e.preventDefault(); void savePolicy.mutateAsync().then(() => setSavedPolicy(true), () => undefined); }}>
        <SelectField label="Two-factor policy" options={POLICY_OPTIONS} value={policy} onChange={(v) => { setPolicy(v as TwoFactorPolicy); setSavedPolicy(false); }} />
        <p className="field-description">A new policy applies at each user's next sign-in.</p>
        {savePolicy.error ? <ErrorMessage error={savePolicy.error} /> : null}
        {savedPolicy ? <p className="field-success" role="status">Two-factor policy saved.</p> : null}
        {canEdit ? <div className="form-actions"><Button type="submit" variant="primary" isDisabled={savePolicy.isPending || policy === org.twoFactorPolicy}>Save two-factor policy</Button></div> : null}
      </form>
      {summary.data ? (
        <section aria-label="Two-factor adoption">
          <h3>Two-factor adoption</h3>
          <DetailList
            items={[
              { label: 'Users', value: String(summary.data.totalUsers) },
              { label: 'With two-factor', value: `${summary.data.enabledCount} (${(summary.data.complianceRate * 100).toFixed(1)} %)` },
              { label: 'Authenticator app', value: String(summary.data.totpCount) },
              { label: 'E-mail code', value: String(summary.data.emailCount) },
            ]}
          />
        </section>
      ) : null}
      {summary.error ? <ErrorMessage error={summary.error} /> : null}
    </div>
  );
}
