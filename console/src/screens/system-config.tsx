import { Fragment, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Dialog, DialogTrigger, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { api } from '../api/client';
import { useAuth } from '../auth/session';
import { Badge } from '../components/badge';
import { Button } from '../components/button';
import { ErrorMessage } from '../components/error-message';
import { FormLayout, SwitchField, TextAreaField, TextField } from '../components/form';
import { PageHeader } from '../components/page-header';
import { useApiMutation } from '../components/use-api-mutation';

export interface ConfigEntry {
  key: string;
  value: unknown;
  valueType: 'string' | 'number' | 'boolean' | 'duration' | 'json';
  description: string | null;
  isSensitive: boolean;
  isReadonly: boolean;
  minValue: number | null;
  maxValue: number | null;
  updatedAt: string;
}

const QUERY_KEY = ['config'] as const;

type Group = 'lifetimes' | 'lockout' | 'limits' | 'other';
const GROUP_TITLES: Record<Group, string> = { lifetimes: 'Lifetimes', lockout: 'Account lockout', limits: 'Rate limits', other: 'Other settings' };

function groupOf(key: string): Group {
  if (key.endsWith('_ttl')) return 'lifetimes';
  if (key.startsWith('account_lockout_')) return 'lockout';
  if (key.startsWith('rate_limit_')) return 'limits';
  return 'other';
}

/** The settings in reading order: lifetimes, lockout, rate limits, then the rest; empty groups left out. */
function groupsOf(entries: ConfigEntry[]): [Group, ConfigEntry[]][] {
  const order: Group[] = ['lifetimes', 'lockout', 'limits', 'other'];
  return order.map((g): [Group, ConfigEntry[]] => [g, entries.filter((e) => groupOf(e.key) === g)]).filter(([, items]) => items.length > 0);
}

/** A setting's name, allowed to wrap after its underscores on narrow screens. */
function breakable(key: string) {
  const parts = key.split('_');
  return parts.map((part, i) => (
    <Fragment key={i}>
      {part}
      {i < parts.length - 1 ? <>_<wbr /></> : null}
    </Fragment>
  ));
}

/** ` (7 d)`, ` (15 min)`: seconds in the largest whole unit, when there is one above seconds. */
function humanDuration(seconds: number): string {
  const units: [number, string][] = [[86_400, 'd'], [3_600, 'h'], [60, 'min']];
  for (const [size, unit] of units) if (seconds >= size && seconds % size === 0) return ` (${seconds / size} ${unit})`;
  return '';
}

function shown(entry: ConfigEntry): string {
  if (entry.isSensitive) return '•••• (hidden)';
  if (entry.valueType === 'json') return JSON.stringify(entry.value);
  if (entry.valueType === 'duration') return `${String(entry.value)} s${humanDuration(Number(entry.value))}`;
  return String(entry.value);
}

function initialText(entry: ConfigEntry): string {
  if (entry.isSensitive) return '';
  if (entry.valueType === 'json') return JSON.stringify(entry.value, null, 2);
  return entry.value === null || entry.value === undefined ? '' : String(entry.value);
}

function bounds(entry: ConfigEntry): string | undefined {
  const unit = entry.valueType === 'duration' ? ' seconds' : '';
  if (entry.minValue !== null && entry.maxValue !== null) return `From ${entry.minValue} to ${entry.maxValue}${unit}.`;
  if (entry.minValue !== null) return `At least ${entry.minValue}${unit}.`;
  if (entry.maxValue !== null) return `At most ${entry.maxValue}${unit}.`;
  return unit ? 'In seconds.' : undefined;
}

function EditConfig({ entry }: { entry: ConfigEntry }) {
  const [isOpen, setOpen] = useState(false);
  const [text, setText] = useState(initialText(entry));
  const [flag, setFlag] = useState(entry.value === true);
  const save = useApiMutation(
    () => api(`/config/${encodeURIComponent(entry.key)}`, { method: 'PUT', body: { value: entry.valueType === 'boolean' ? flag : text } }),
    { invalidate: [QUERY_KEY], onSuccess: () => setOpen(false) },
  );
  const open = (next: boolean) => {
    if (next) {
      setText(initialText(entry));
      setFlag(entry.value === true);
      save.reset();
    }
    setOpen(next);
  };
  let field;
  if (entry.valueType === 'boolean') field = <SwitchField label={entry.key} isSelected={flag} onChange={setFlag} />;
  else if (entry.valueType === 'json') field = <TextAreaField label="Value (JSON)" value={text} onChange={setText} rows={8} />;
  else {
    field = (
      <TextField
        label="Value"
        value={text}
        onChange={setText}
        type={entry.valueType === 'number' || entry.valueType === 'duration' ? 'number' : entry.isSensitive ? 'password' : 'text'}
        description={entry.isSensitive ? 'A sensitive value is never shown; enter the new one.' : bounds(entry)}
        autoComplete="off"
      />
    );
  }
  return (
    <DialogTrigger isOpen={isOpen} onOpenChange={open}>
      <Button aria-label={`Edit ${entry.key}`}>Edit</Button>
      <ModalOverlay className="modal-overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog">
            <Heading slot="title">Edit {entry.key}</Heading>
            {entry.description ? <p className="dialog-description">{entry.description}</p> : null}
            <FormLayout onSubmit={() => save.mutate()} label={`Edit ${entry.key}`}>
              {field}
              <ErrorMessage error={save.error} />
              <div className="button-row">
                <Button onPress={() => open(false)}>Cancel</Button>
                <Button variant="primary" type="submit" isPending={save.isPending}>Save</Button>
              </div>
            </FormLayout>
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}

/** `/config`: every system setting (GET /config), edited one at a time (PUT /config/:key). */
export function SystemConfigScreen() {
  const { can } = useAuth();
  const [filter, setFilter] = useState('');
  const query = useQuery({ queryKey: QUERY_KEY, queryFn: () => api<{ data: ConfigEntry[] }>('/config').then((r) => r.data) });
  const canEdit = can('admin:config:update');
  const needle = filter.trim().toLowerCase();
  const entries = (query.data ?? []).filter((e) => !needle || e.key.includes(needle) || (e.description ?? '').toLowerCase().includes(needle));
  return (
    <>
      <PageHeader title="System config" description="Settings shared by every organization. Every server applies a change within 60 seconds." />
      <div className="data-list-toolbar">
        <TextField label="Filter settings" type="search" value={filter} onChange={setFilter} />
      </div>
      <ErrorMessage error={query.error} />
      {query.isPending ? <p aria-busy="true">Loading settings…</p> : null}
      {groupsOf(entries).map(([group, items]) => (
        <section key={group} className="config-group" aria-labelledby={`config-${group}`}>
          <h2 id={`config-${group}`}>{GROUP_TITLES[group]}</h2>
          <div className="table-wrap">
            <table className="simple-table config-table">
              <caption className="visually-hidden">{GROUP_TITLES[group]}</caption>
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  <th scope="col">Value</th>
                  <th scope="col">Description</th>
                  {canEdit ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <tr key={entry.key}>
                    <th scope="row"><code>{breakable(entry.key)}</code></th>
                    <td>
                      <span className={entry.isSensitive ? 'muted' : undefined}>{shown(entry)}</span>
                      {entry.isReadonly ? <> <Badge tone="neutral">read-only</Badge></> : null}
                    </td>
                    <td>{entry.description}</td>
                    {canEdit ? <td>{entry.isReadonly ? null : <EditConfig entry={entry} />}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      {query.data && entries.length === 0 ? <p className="empty">No setting matches “{filter}”.</p> : null}
    </>
  );
}
