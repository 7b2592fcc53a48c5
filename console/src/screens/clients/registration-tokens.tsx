import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { useParams, useSearchParam } from '../../router';
import { Button, ConfirmDialog, ErrorMessage, PageHeader, SecretReveal, SelectField, TextField, useApiMutation } from '../../components';
import { formatDate } from '../applications/applications-list';
import { ListTable } from '../applications/list-table';
import { ClientStatusBadge } from './clients-list';
import { ApplicationName, ApplicationPicker, OrganizationPicker } from './pickers';
import type { Data, NumberedPage, RegistrationToken } from './types';

const tokensKey = (orgId: string) => ['registration-tokens', orgId];
const PAGE_SIZE = 20;

/**
 * `/registration-tokens?org=…` and `/organizations/:orgId/registration-tokens`: initial access tokens for
 * RFC 7591 dynamic client registration. The organization must have dynamic registration turned on for them to be used.
 */
export function RegistrationTokensScreen() {
  const { orgId: pathOrg } = useParams();
  const [queryOrg, setQueryOrg] = useSearchParam('org');
  const orgId = pathOrg ?? queryOrg;
  return (
    <>
      <PageHeader
        title="Registration tokens"
        description="Initial access tokens let relying parties register themselves (RFC 7591) as clients of one application, in an organization with dynamic registration turned on."
      />
      {pathOrg ? null : <OrganizationPicker value={queryOrg} onChange={setQueryOrg} />}
      {orgId ? <TokensForOrganization key={orgId} orgId={orgId} /> : <p className="empty">Choose an organization.</p>}
    </>
  );
}

function TokensForOrganization({ orgId }: { orgId: string }) {
  const { can } = useAuth();
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(1);
  const tokens = useQuery({
    queryKey: [...tokensKey(orgId), status, page],
    queryFn: () => api<NumberedPage<RegistrationToken>>(`/organizations/${encodeURIComponent(orgId)}/registration-tokens`, { query: { status: status || undefined, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  const revoke = (t: RegistrationToken) =>
    api<void>(`/organizations/${encodeURIComponent(orgId)}/registration-tokens/${t.id}`, { method: 'DELETE' }).then(() => tokens.refetch()).then(() => undefined);
  const data = tokens.data;
  return (
    <>
      <div className="filters">
        <SelectField
          label="Status"
          value={status}
          onChange={(v: string) => { setStatus(v); setPage(1); }}
          options={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'Active' },
            { value: 'expired', label: 'Expired' },
            { value: 'used_up', label: 'Used up' },
            { value: 'revoked', label: 'Revoked' },
          ]}
        />
      </div>
      {tokens.error ? <ErrorMessage error={tokens.error} /> : null}
      {data ? (
        <>
          <ListTable
            label="Registration tokens"
            rows={data.data}
            empty="No registration tokens."
            columns={[
              { key: 'label', header: 'Label', render: (t) => t.label ?? '—' },
              { key: 'status', header: 'Status', render: (t) => <ClientStatusBadge status={t.status} /> },
              { key: 'application', header: 'Application', render: (t) => <ApplicationName id={t.applicationId} /> },
              { key: 'uses', header: 'Uses', render: (t) => `${t.useCount} / ${t.maxUses ?? '∞'}` },
              { key: 'expires', header: 'Expires', render: (t) => formatDate(t.expiresAt) },
              {
                key: 'actions',
                header: 'Actions',
                render: (t) =>
                  can('admin:client:revoke') && t.status === 'active' ? (
                    <ConfirmDialog
                      title={`Revoke registration token ${t.label ?? t.id}?`}
                      description="Nobody can register a client with this token any more. Clients it already registered are kept."
                      confirmLabel="Revoke token"
                      destructive
                      onConfirm={() => revoke(t)}
                      trigger={<Button variant="danger">Revoke {t.label ?? 'token'}</Button>}
                    />
                  ) : null,
              },
            ]}
          />
          {data.totalPages > 1 ? (
            <nav className="pager" aria-label="Registration token pages">
              <Button variant="secondary" isDisabled={page <= 1} onPress={() => setPage(page - 1)}>Previous</Button>
              <span>Page {data.page} of {data.totalPages}</span>
              <Button variant="secondary" isDisabled={page >= data.totalPages} onPress={() => setPage(page + 1)}>Next</Button>
            </nav>
          ) : null}
        </>
      ) : (
        <p role="status">Loading registration tokens…</p>
      )}
      {can('admin:client:create') ? <NewTokenForm orgId={orgId} /> : null}
    </>
  );
}

function NewTokenForm({ orgId }: { orgId: string }) {
  const [applicationId, setApplicationId] = useState<string | null>(null);
  const [label, setLabel] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [created, setCreated] = useState<(RegistrationToken & { token: string }) | null>(null);
  const create = useApiMutation(
    () =>
      api<Data<RegistrationToken & { token: string }>>(`/organizations/${encodeURIComponent(orgId)}/registration-tokens`, {
        method: 'POST',
        body: {
          applicationId,
          label: label.trim() || null,
          maxUses: maxUses.trim() ? Number(maxUses) : null,
          ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
        },
      }),
    { invalidate: [tokensKey(orgId)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create.mutateAsync(undefined);
    setCreated(data);
    setLabel('');
    setMaxUses('');
    setExpiresAt('');
  };
  return (
    <form className="form section-form" aria-label="New registration token" onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h2>New registration token</h2>
      {created ? <SecretReveal label="Registration token" secret={created.token} /> : null}
      <ApplicationPicker value={applicationId} onChange={setApplicationId} description="Every client registered with the token joins this application." />
      <TextField label="Token label" name="tokenLabel" value={label} onChange={setLabel} />
      <TextField label="Maximum uses" name="maxUses" type="number" value={maxUses} onChange={setMaxUses} description="1–1,000,000; empty for any number." />
      <TextField label="Expires at" name="tokenExpiresAt" type="datetime-local" value={expiresAt} onChange={setExpiresAt} description="At most a year away; empty for 30 days." />
      {create.error ? <ErrorMessage error={create.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={create.isPending || !applicationId}>Create token</Button>
      </div>
    </form>
  );
}
