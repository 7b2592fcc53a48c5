import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Button, ErrorMessage, SelectField, TextField } from '../../components';
import { listApplications } from './api';
import type { Application } from './types';

/**
 * Choosing an application for roles and claims: a list when the admin may read applications
 * (`app:read`), otherwise the application's slug or id typed in (a user admin lacks `app:read`).
 */
export function ApplicationPicker({ value, onChange }: { value: string; onChange: (appIdOrSlug: string) => void }) {
  const { can } = useAuth();
  const canList = can('admin:app:read');
  const apps = useQuery({ queryKey: ['applications', 'picker'], queryFn: listApplications, enabled: canList });
  if (!canList) return <ApplicationByName onChange={onChange} />;
  if (apps.isError) return <ErrorMessage error={apps.error} />;
  const options = (apps.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${a.slug})` }));
  return <SelectField label="Application" options={options} value={value || null} onChange={onChange} placeholder={apps.isPending ? 'Loading applications…' : 'Choose an application'} isDisabled={apps.isPending} />;
}

/** Without `app:read` the application is named, and chosen only when the admin says so (not per keystroke). */
function ApplicationByName({ onChange }: { onChange: (appIdOrSlug: string) => void }) {
  const [draft, setDraft] = useState('');
  const choose = (e: FormEvent) => {
    e.preventDefault();
    onChange(draft.trim());
  };
  return (
    <form className="inline-form" onSubmit={choose} aria-label="Choose an application">
      <TextField label="Application (slug or id)" name="application" value={draft} onChange={setDraft} description="For example portal. Your roles cannot list applications." />
      <Button type="submit" variant="secondary" isDisabled={draft.trim() === ''}>Use application</Button>
    </form>
  );
}

/** Names applications by id where the admin may list them. */
export function useApplicationNames(): (id: string) => string {
  const { can } = useAuth();
  const apps = useQuery({ queryKey: ['applications', 'picker'], queryFn: listApplications, enabled: can('admin:app:read') });
  const byId = new Map((apps.data ?? []).map((a: Application) => [a.id, a.slug]));
  return (id) => byId.get(id) ?? id;
}
