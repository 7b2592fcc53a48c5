import { useEffect, useState, type FormEvent } from 'react';
import { Button, ErrorMessage, PageHeader, SelectField, TextField, useApiMutation } from '../../components';
import { useNavigate } from '../../router';
import { LOCALES, TWO_FACTOR_LABELS, createOrganization, orgKeys, validateSlug, type LoginMethod, type TwoFactorPolicy } from './api';
import { LoginMethodsField } from './login-methods-field';
import './screens.css';

const SLUG_REASONS: Record<string, string> = {
  format: 'Use 3–100 lower-case letters, digits and dashes, not starting or ending with a dash.',
  reserved: 'This slug is reserved by Porta.',
  taken: 'Another organization has this slug.',
};
const POLICY_OPTIONS = (Object.keys(TWO_FACTOR_LABELS) as TwoFactorPolicy[]).map((value) => ({ value, label: TWO_FACTOR_LABELS[value] }));

/** `/organizations/new`: the fields of `POST /organizations`; the slug is checked as it is typed. */
export function OrganizationCreateScreen() {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugProblem, setSlugProblem] = useState<string | undefined>();
  const [locale, setLocale] = useState('en');
  const [methods, setMethods] = useState<LoginMethod[]>(['password', 'magic_link']);
  const [policy, setPolicy] = useState<TwoFactorPolicy>('optional');

  const create = useApiMutation(
    () => createOrganization({ name: name.trim(), ...(slug.trim() ? { slug: slug.trim() } : {}), defaultLocale: locale, defaultLoginMethods: methods, twoFactorPolicy: policy }),
    { invalidate: [orgKeys.all] },
  );

  // Checked a moment after typing stops; a failed check says nothing (creating reports the real error).
  useEffect(() => {
    const typed = slug.trim();
    if (!typed) return setSlugProblem(undefined);
    let isCurrent = true;
    const timer = setTimeout(() => {
      validateSlug(typed).then(
        (r) => isCurrent && setSlugProblem(r.isValid ? undefined : (SLUG_REASONS[r.reason ?? 'format'] ?? 'This slug cannot be used.')),
        () => undefined,
      );
    }, 400);
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, [slug]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const org = await create.mutateAsync().catch(() => null);
    if (org) navigate(`/organizations/${org.id}`);
  };

  return (
    <>
      <PageHeader title="Create organization" description="A new tenant with its own issuer, users, clients and sign-in pages." />
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="Create organization">
        <TextField label="Name" name="name" value={name} onChange={setName} isRequired />
        <TextField
          label="Slug"
          name="slug"
          value={slug}
          onChange={setSlug}
          description="Part of the issuer URL (/{slug}). Leave empty to derive it from the name."
          errorMessage={slugProblem}
        />
        <SelectField label="Default language" options={LOCALES} value={locale} onChange={setLocale} />
        <LoginMethodsField value={methods} onChange={setMethods} />
        <SelectField label="Two-factor policy" options={POLICY_OPTIONS} value={policy} onChange={(v) => setPolicy(v as TwoFactorPolicy)} />
        {create.error ? <ErrorMessage error={create.error} /> : null}
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={create.isPending || !name.trim() || methods.length === 0}>Create organization</Button>
          <Button variant="secondary" onPress={() => navigate('/organizations')}>Cancel</Button>
        </div>
      </form>
    </>
  );
}
