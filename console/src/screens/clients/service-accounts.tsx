import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link, useNavigate, useParams } from '../../router';
import { Button, CheckboxField, ConfirmDialog, DetailList, ErrorMessage, PageHeader, SecretReveal, TextAreaField, TextField, useApiMutation, useSaveForm } from '../../components';
import { formatDate } from '../applications/applications-list';
import { ListTable } from '../applications/list-table';
import { SecretsPanel } from './client-secrets';
import { ClientStatusBadge } from './clients-list';
import { ADMIN_ROLES, SUPER_ADMIN_ROLE, type CreatedSecret, type Data, type ServiceAccount } from './types';

const accountsKey = ['service-accounts'];

/** Only super admins change service accounts (docs/admin-api/service-accounts.md); `client:read` lists them. */
export function useIsSuperAdmin(): boolean {
  return useAuth().me.roles.includes(SUPER_ADMIN_ROLE);
}

function RoleCheckboxes({ value, onChange }: { value: string[]; onChange: (roles: string[]) => void }) {
  return (
    <fieldset className="field-group">
      <legend>Admin roles</legend>
      {ADMIN_ROLES.map((r) => (
        <CheckboxField key={r.slug} label={r.label} isSelected={value.includes(r.slug)} onChange={(isOn: boolean) => onChange(isOn ? [...value, r.slug] : value.filter((s) => s !== r.slug))} />
      ))}
    </fieldset>
  );
}

/** `/service-accounts`: machine access to the Admin API. */
export function ServiceAccountsListScreen() {
  const isSuperAdmin = useIsSuperAdmin();
  const accounts = useQuery({ queryKey: accountsKey, queryFn: () => api<Data<ServiceAccount[]>>('/service-accounts').then((r) => r.data) });
  return (
    <>
      <PageHeader
        title="Service accounts"
        description="Confidential client-credentials clients of the admin organization holding admin roles, for CI jobs and scripts. Every change they make is audited under their name."
        actions={isSuperAdmin ? <Link to="/service-accounts/new" className="button button-primary">New service account</Link> : undefined}
      />
      {accounts.error ? <ErrorMessage error={accounts.error} /> : null}
      {accounts.data ? (
        <ListTable
          label="Service accounts"
          rows={accounts.data}
          empty="No service accounts yet."
          columns={[
            { key: 'name', header: 'Name', render: (a) => <Link to={`/service-accounts/${a.id}`}>{a.name}</Link> },
            { key: 'clientId', header: 'Client ID', render: (a) => <code className="truncate">{a.clientId}</code> },
            { key: 'roles', header: 'Roles', render: (a) => a.roles.join(', ') },
            { key: 'status', header: 'Status', render: (a) => <ClientStatusBadge status={a.status} /> },
            { key: 'created', header: 'Created', render: (a) => formatDate(a.createdAt) },
          ]}
        />
      ) : (
        <p role="status">Loading service accounts…</p>
      )}
    </>
  );
}

/** `/service-accounts/new`: the secret is shown once. */
export function ServiceAccountCreateScreen() {
  const isSuperAdmin = useIsSuperAdmin();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [secretLabel, setSecretLabel] = useState('');
  const [created, setCreated] = useState<{ serviceAccount: ServiceAccount; secret: CreatedSecret } | null>(null);
  const create = useApiMutation(
    () =>
      api<Data<{ serviceAccount: ServiceAccount; secret: CreatedSecret }>>('/service-accounts', {
        method: 'POST',
        body: { name, description: description.trim() || undefined, roles, secretLabel: secretLabel.trim() || undefined },
      }),
    { invalidate: [accountsKey] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create.mutateAsync(undefined);
    setCreated(data);
  };
  if (!isSuperAdmin) return <p role="alert">Only super admins create service accounts.</p>;
  if (created) {
    return (
      <>
        <PageHeader title={`Service account ${created.serviceAccount.name} created`} />
        <p>
          Client ID: <code>{created.serviceAccount.clientId}</code>
        </p>
        <SecretReveal label="Client secret" secret={created.secret.plaintext} />
        <p className="muted">Get a token with the client-credentials grant at the admin organization's token endpoint (GET /api/admin/metadata names it).</p>
        <p>
          <Link to={`/service-accounts/${created.serviceAccount.id}`} className="button button-primary">Open service account</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <PageHeader title="New service account" />
      <form className="form section-form" aria-label="New service account" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <TextField label="Name" name="name" value={name} onChange={setName} isRequired />
        <TextAreaField label="Description" name="description" value={description} onChange={setDescription} />
        <RoleCheckboxes value={roles} onChange={setRoles} />
        <TextField label="Secret label" name="secretLabel" value={secretLabel} onChange={setSecretLabel} />
        {create.error ? <ErrorMessage error={create.error} /> : null}
        <div className="button-row">
          <Button variant="primary" type="submit" isDisabled={create.isPending || !name.trim() || roles.length === 0}>Create service account</Button>
        </div>
      </form>
    </>
  );
}

/** `/service-accounts/:accountId`: roles, secrets and deletion. */
export function ServiceAccountDetailScreen() {
  const { accountId = '' } = useParams();
  const isSuperAdmin = useIsSuperAdmin();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const account = useQuery({ queryKey: [...accountsKey, accountId], queryFn: () => api<Data<ServiceAccount>>(`/service-accounts/${encodeURIComponent(accountId)}`).then((r) => r.data) });
  if (account.error) return <ErrorMessage error={account.error} />;
  if (!account.data) return <p role="status">Loading service account…</p>;
  const a = account.data;
  const isActive = a.status === 'active';
  const remove = async () => {
    await api<void>(`/service-accounts/${a.id}`, { method: 'DELETE' });
    await queryClient.invalidateQueries({ queryKey: accountsKey });
    navigate('/service-accounts');
  };
  return (
    <>
      <p className="breadcrumb">
        <Link to="/service-accounts">Service accounts</Link>
      </p>
      <PageHeader
        title={a.name}
        description={a.description ?? undefined}
        actions={
          isSuperAdmin && isActive ? (
            <ConfirmDialog
              title={`Delete service account ${a.name}?`}
              description={`The service account is revoked for good: its roles and every live token of ${a.clientId} are gone, and scripts using it stop working.`}
              confirmLabel="Delete service account"
              destructive
              typeToConfirm={a.name}
              onConfirm={remove}
              trigger={<Button variant="danger">Delete</Button>}
            />
          ) : undefined
        }
      />
      <DetailList
        items={[
          { label: 'Client ID', value: <code>{a.clientId}</code> },
          { label: 'Status', value: <ClientStatusBadge status={a.status} /> },
          { label: 'Roles', value: a.roles.join(', ') || '—' },
          { label: 'Created', value: formatDate(a.createdAt) },
        ]}
      />
      {isSuperAdmin && isActive ? <RolesForm account={a} /> : null}
      {isActive ? <SecretsPanel basePath={`/service-accounts/${a.id}`} queryKey={[...accountsKey, a.id, 'secrets']} canCreate={isSuperAdmin} canRevoke={isSuperAdmin} /> : null}
    </>
  );
}

function RolesForm({ account }: { account: ServiceAccount }) {
  const [roles, setRoles] = useState<string[]>(account.roles);
  useEffect(() => setRoles(account.roles), [account]);
  const save = useApiMutation(() => api<Data<ServiceAccount>>(`/service-accounts/${account.id}/roles`, { method: 'PUT', body: { roles } }), { invalidate: [accountsKey] });
  const form = useSaveForm(save);
  return (
    <form className="form section-form" aria-label="Service account roles" onSubmit={form.onSubmit}>
      <h2>Roles</h2>
      <RoleCheckboxes value={roles} onChange={(next) => { form.markChanged(); setRoles(next); }} />
      {form.feedback("Roles saved; they apply to the account's next request.")}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || roles.length === 0}>Save roles</Button>
      </div>
    </form>
  );
}
