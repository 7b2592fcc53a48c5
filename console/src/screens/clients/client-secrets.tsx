import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { Button, ConfirmDialog, ErrorMessage, SecretReveal, TextField, useApiMutation } from '../../components';
import { formatDate } from '../applications/applications-list';
import { ListTable } from '../applications/list-table';
import { ClientStatusBadge } from './clients-list';
import type { ClientSecret, CreatedSecret, Data } from './types';

/**
 * Secrets of a client or service account (`basePath` is `/clients/:id` or `/service-accounts/:id`):
 * a new secret's value is shown once; older ones stay valid until revoked, so rotation needs no downtime.
 */
export function SecretsPanel({ basePath, queryKey, canCreate, canRevoke }: { basePath: string; queryKey: unknown[]; canCreate: boolean; canRevoke: boolean }) {
  const secrets = useQuery({ queryKey, queryFn: () => api<Data<ClientSecret[]>>(`${basePath}/secrets`).then((r) => r.data) });
  const [label, setLabel] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [created, setCreated] = useState<CreatedSecret | null>(null);
  const generate = useApiMutation(
    () =>
      api<Data<CreatedSecret>>(`${basePath}/secrets`, {
        method: 'POST',
        body: { label: label.trim() || undefined, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : undefined },
      }),
    { invalidate: [queryKey] },
  );
  const revoke = (s: ClientSecret) => api<void>(`${basePath}/secrets/${s.id}/revoke`, { method: 'POST' }).then(() => secrets.refetch()).then(() => undefined);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await generate.mutateAsync(undefined);
    setCreated(data);
    setLabel('');
    setExpiresAt('');
  };
  return (
    <section aria-labelledby="secrets-heading">
      <h2 id="secrets-heading">Secrets</h2>
      {created ? <SecretReveal label={`Secret ${created.label ?? ''}`.trim()} secret={created.plaintext} /> : null}
      {secrets.error ? <ErrorMessage error={secrets.error} /> : null}
      {secrets.data ? (
        <ListTable
          label="Secrets"
          rows={secrets.data}
          empty="No secrets."
          columns={[
            { key: 'label', header: 'Label', render: (s) => s.label ?? '—' },
            { key: 'status', header: 'Status', render: (s) => <ClientStatusBadge status={s.status} /> },
            { key: 'created', header: 'Created', render: (s) => formatDate(s.createdAt) },
            { key: 'expires', header: 'Expires', render: (s) => (s.expiresAt ? formatDate(s.expiresAt) : 'Never') },
            { key: 'used', header: 'Last used', render: (s) => formatDate(s.lastUsedAt) },
            {
              key: 'actions',
              header: 'Actions',
              render: (s) =>
                canRevoke && s.status === 'active' ? (
                  <ConfirmDialog
                    title={`Revoke secret ${s.label ?? s.id}?`}
                    description="Anything still authenticating with this secret stops working at once."
                    confirmLabel="Revoke secret"
                    destructive
                    onConfirm={() => revoke(s)}
                    trigger={<Button variant="danger">Revoke {s.label ?? 'secret'}</Button>}
                  />
                ) : null,
            },
          ]}
        />
      ) : null}
      {canCreate ? (
        <form className="form section-form" aria-label="New secret" onSubmit={(e) => void submit(e).catch(() => undefined)}>
          <h3>New secret</h3>
          <TextField label="Secret label" name="secretLabel" value={label} onChange={setLabel} />
          <TextField label="Expires at" name="secretExpiresAt" type="datetime-local" value={expiresAt} onChange={setExpiresAt} description="Optional; in the future. Empty never expires." />
          {generate.error ? <ErrorMessage error={generate.error} /> : null}
          <div className="button-row">
            <Button variant="primary" type="submit" isDisabled={generate.isPending}>Generate secret</Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
