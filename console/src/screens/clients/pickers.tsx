import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button as AriaButton, ComboBox, Input, Label, ListBox, ListBoxItem, Popover, Text } from 'react-aria-components';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { TextField } from '../../components';
import type { Application } from '../applications/types';
import type { CursorPage, Data, OrganizationSummary } from './types';

function useDebounced(value: string, ms: number): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

interface Option {
  id: string;
  name: string;
  slug: string;
}

/** A searchable combobox over one page (10) of matches: it never loads a whole list. */
function SearchPicker({ label, description, value, onChange, queryKey, search, resolve }: {
  label: string;
  description?: string;
  value: string | null;
  onChange: (id: string | null) => void;
  queryKey: string;
  search: (text: string) => Promise<Option[]>;
  resolve: (id: string) => Promise<Option>;
}) {
  const [input, setInput] = useState('');
  const text = useDebounced(input, 250);
  const results = useQuery({ queryKey: ['picker', queryKey, text], queryFn: () => search(text), placeholderData: keepPreviousData });
  const selected = useQuery({ queryKey: ['picker', queryKey, 'id', value], queryFn: () => resolve(value ?? ''), enabled: Boolean(value) });
  useEffect(() => {
    if (selected.data && input === '') setInput(selected.data.name);
    // Only when the selection resolves: typing afterwards is never overwritten.
  }, [selected.data]);
  const items = results.data ?? [];
  const withSelected = selected.data && !items.some((o) => o.id === selected.data.id) ? [selected.data, ...items] : items;
  // Both the text and the selection are controlled, so each follows the other here (React Aria leaves it to us).
  const select = (key: string | number | null) => {
    const item = key === null ? undefined : withSelected.find((o) => o.id === String(key));
    if (item) setInput(item.name);
    onChange(item ? item.id : null);
  };
  const type = (next: string) => {
    setInput(next);
    if (value && next !== selected.data?.name) onChange(null);
  };
  return (
    <ComboBox
      className="field combobox"
      items={withSelected}
      inputValue={input}
      onInputChange={type}
      selectedKey={value}
      onSelectionChange={select}
      menuTrigger="focus"
      allowsEmptyCollection
    >
      <Label>{label}</Label>
      <div className="combobox-control">
        <Input />
        <AriaButton className="combobox-button" aria-label={`Show ${label.toLowerCase()} options`}>▾</AriaButton>
      </div>
      {description ? <Text slot="description" className="field-description">{description}</Text> : null}
      <Popover className="popover">
        <ListBox className="listbox" renderEmptyState={() => <p className="empty">{results.isFetching ? 'Searching…' : 'No matches.'}</p>}>
          {(item: Option) => (
            <ListBoxItem id={item.id} textValue={item.name} className="listbox-item">
              {item.name} <span className="muted">({item.slug})</span>
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </ComboBox>
  );
}

/**
 * Choose an organization by name. Admins without `org:read` (Application Admins) cannot list
 * organizations, so they paste the organization's UUID instead.
 */
export function OrganizationPicker({ value, onChange, label = 'Organization', description }: { value: string | null; onChange: (id: string | null) => void; label?: string; description?: string }) {
  const { can } = useAuth();
  const [raw, setRaw] = useState(value ?? '');
  if (!can('admin:org:read')) {
    return (
      <TextField
        label={`${label} ID`}
        name="organizationId"
        value={raw}
        onChange={(v: string) => {
          setRaw(v);
          onChange(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v.trim()) ? v.trim() : null);
        }}
        description={description ?? 'The organization’s UUID (your role cannot list organizations).'}
      />
    );
  }
  return (
    <SearchPicker
      label={label}
      description={description}
      value={value}
      onChange={onChange}
      queryKey="organizations"
      search={(text) => api<CursorPage<OrganizationSummary>>('/organizations', { query: { limit: 10, search: text || undefined, sortBy: 'name', sortOrder: 'asc' } }).then((r) => r.data)}
      resolve={(id) => api<Data<OrganizationSummary>>(`/organizations/${id}`).then((r) => r.data)}
    />
  );
}

/** Choose an application by name: by default only active ones other than `porta-admin` (those accept new clients). */
export function ApplicationPicker({ value, onChange, label = 'Application', description, isAnyApplication = false }: { value: string | null; onChange: (id: string | null) => void; label?: string; description?: string; isAnyApplication?: boolean }) {
  return (
    <SearchPicker
      label={label}
      description={description}
      value={value}
      onChange={onChange}
      queryKey={isAnyApplication ? 'applications-any' : 'applications'}
      search={(text) =>
        api<CursorPage<Application>>('/applications', { query: { limit: 10, status: isAnyApplication ? undefined : 'active', search: text || undefined, sortBy: 'name', sortOrder: 'asc' } }).then((r) =>
          isAnyApplication ? r.data : r.data.filter((a) => a.slug !== 'porta-admin'),
        )
      }
      resolve={(id) => api<Data<Application>>(`/applications/${id}`).then((r) => r.data)}
    />
  );
}

/** An application's name for a table cell (cached per id), its id while loading or when the admin cannot read applications. */
export function ApplicationName({ id }: { id: string }) {
  const { can } = useAuth();
  const app = useQuery({ queryKey: ['applications', id], queryFn: () => api<Data<Application>>(`/applications/${id}`).then((r) => r.data), enabled: can('admin:app:read'), staleTime: 60_000 });
  return app.data ? <>{app.data.name}</> : <code className="truncate">{id}</code>;
}
