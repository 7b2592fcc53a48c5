import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, apiResponse, apiVersioned, versionedOf, type Versioned } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link, useParams } from '../../router';
import { Button, ConfirmDialog, DetailList, ErrorMessage, PageHeader, Tabs, useApiMutation, useSaveForm } from '../../components';
import { formatDate } from '../applications/applications-list';
import type { Application } from '../applications/types';
import { ClientSettingsFields, settingsBody, settingsOf, type ClientSettings } from './client-form';
import { SecretsPanel } from './client-secrets';
import { ClientStatusBadge } from './clients-list';
import type { Client, Data } from './types';

const clientKey = (id: string) => ['clients', id];

const getClient = (clientId: string) => apiVersioned<Client>(`/clients/${encodeURIComponent(clientId)}`);

/** `/clients/:clientId` (internal UUID or OIDC client_id): overview, every setting, secrets and status. */
export function ClientDetailScreen() {
  const { clientId = '' } = useParams();
  const { can } = useAuth();
  const client = useQuery({ queryKey: clientKey(clientId), queryFn: () => getClient(clientId) });
  if (client.error) return <ErrorMessage error={client.error} />;
  if (!client.data) return <p role="status">Loading client…</p>;
  const { data: c, etag } = client.data;
  if (c.isServiceAccount) {
    return (
      <>
        <PageHeader title={c.clientName} />
        <p>
          This client is a service account: manage it on <Link to={`/service-accounts/${c.id}`}>its service account screen</Link>.
        </p>
      </>
    );
  }
  const hasSecrets = c.clientType === 'confidential' && c.tokenEndpointAuthMethod !== 'private_key_jwt';
  const tabs = [{ id: 'overview', label: 'Overview', content: <Overview client={c} /> }];
  if (can('admin:client:update') && c.status !== 'revoked') tabs.push({ id: 'settings', label: 'Settings', content: <SettingsForm client={c} etag={etag} queryKey={clientKey(clientId)} /> });
  if (hasSecrets) tabs.push({ id: 'secrets', label: 'Secrets', content: <SecretsPanel basePath={`/clients/${c.id}`} queryKey={[...clientKey(c.id), 'secrets']} canCreate={can('admin:client:update') && c.status !== 'revoked'} canRevoke={can('admin:client:revoke')} /> });
  return (
    <>
      <p className="breadcrumb">
        <Link to="/clients">Clients</Link>
      </p>
      <PageHeader title={c.clientName} actions={<StatusActions client={c} />} />
      <Tabs tabs={tabs} />
    </>
  );
}

function Overview({ client }: { client: Client }) {
  const { can } = useAuth();
  const app = useQuery({
    queryKey: ['applications', client.applicationId],
    queryFn: () => api<Data<Application>>(`/applications/${client.applicationId}`).then((r) => r.data),
    enabled: can('admin:app:read'),
  });
  const list = (values: string[]) => (values.length ? values.join(', ') : '—');
  return (
    <DetailList
      items={[
        { label: 'Client ID', value: <code>{client.clientId}</code> },
        { label: 'Status', value: <ClientStatusBadge status={client.status} /> },
        { label: 'Type', value: `${client.clientType} · ${client.applicationType}` },
        { label: 'Organization', value: can('admin:org:read') ? <Link to={`/organizations/${client.organizationId}`}>{client.organizationId}</Link> : <code>{client.organizationId}</code> },
        { label: 'Application', value: app.data ? <Link to={`/applications/${app.data.slug}`}>{app.data.name}</Link> : <code>{client.applicationId}</code> },
        { label: 'Redirect URIs', value: list(client.redirectUris) },
        { label: 'Post-logout redirect URIs', value: list(client.postLogoutRedirectUris) },
        { label: 'Grant types', value: list(client.grantTypes) },
        { label: 'Scope', value: client.scope },
        { label: 'Token endpoint authentication', value: client.tokenEndpointAuthMethod },
        { label: 'Login methods', value: `${list(client.effectiveLoginMethods)}${client.loginMethods === null ? ' (inherited)' : ''}` },
        { label: 'Require PKCE', value: client.requirePkce ? 'Yes' : 'No' },
        { label: 'Require consent', value: client.requireConsent ? 'Yes' : 'No' },
        { label: 'Created', value: formatDate(client.createdAt) },
        { label: 'Updated', value: formatDate(client.updatedAt) },
      ]}
    />
  );
}

/** `etag` is the version of `client`, the one the form shows. */
function SettingsForm({ client, etag, queryKey }: { client: Client; etag: string | null; queryKey: unknown[] }) {
  const queryClient = useQueryClient();
  const [settings, setSettings] = useState<ClientSettings>(settingsOf(client));
  useEffect(() => setSettings(settingsOf(client)), [client]);
  const save = useApiMutation(
    () => apiResponse<Data<Client>>(`/clients/${client.id}`, { method: 'PUT', body: settingsBody(settings), ifMatch: etag ?? undefined }),
    {
      invalidate: [['clients']],
      // The saved version and its new ETag are what the form shows and sends next.
      onSuccess: (res) => queryClient.setQueryData<Versioned<Client>>(queryKey, versionedOf(res)),
    },
  );
  const form = useSaveForm(save, { entity: 'client', reload: () => queryClient.refetchQueries({ queryKey }) });
  return (
    <form className="form" aria-label="Client settings" onSubmit={form.onSubmit}>
      <ClientSettingsFields clientType={client.clientType} value={settings} onChange={(next) => { form.markChanged(); setSettings(next); }} />
      {form.feedback()}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !settings.clientName.trim()}>Save settings</Button>
      </div>
    </form>
  );
}

function StatusActions({ client }: { client: Client }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const transition = async (path: 'activate' | 'deactivate' | 'revoke') => {
    await api<void>(`/clients/${client.id}/${path}`, { method: 'POST' });
    await queryClient.invalidateQueries({ queryKey: ['clients'] });
  };
  const activate = useApiMutation(() => transition('activate'), { invalidate: [['clients']] });
  if (client.status === 'revoked') return null;
  return (
    <div className="button-row">
      {can('admin:client:update') && client.status === 'inactive' ? (
        <Button variant="secondary" onPress={() => void activate.mutateAsync(undefined).catch(() => undefined)} isDisabled={activate.isPending}>Activate</Button>
      ) : null}
      {can('admin:client:update') && client.status === 'active' ? (
        <ConfirmDialog
          title={`Deactivate ${client.clientName}?`}
          description="The client can no longer obtain tokens until it is activated again. Issued tokens are kept."
          confirmLabel="Deactivate"
          onConfirm={() => transition('deactivate')}
          trigger={<Button variant="secondary">Deactivate</Button>}
        />
      ) : null}
      {can('admin:client:revoke') ? (
        <ConfirmDialog
          title={`Revoke ${client.clientName}?`}
          description={`Revoking is final: every grant, access token and refresh token of client ${client.clientId} is deleted and it can never sign anyone in again.`}
          confirmLabel="Revoke client"
          destructive
          typeToConfirm={client.clientName}
          onConfirm={() => transition('revoke')}
          trigger={<Button variant="danger">Revoke</Button>}
        />
      ) : null}
      {activate.error ? <ErrorMessage error={activate.error} /> : null}
    </div>
  );
}
