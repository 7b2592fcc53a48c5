import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, apiResponse, apiVersioned, versionedOf, type Versioned } from '../../api/client';
import { useAuth } from '../../auth/session';
import { useParams } from '../../router';
import { Button, ConfirmDialog, DetailList, ErrorMessage, PageHeader, Tabs, TextAreaField, TextField, useApiMutation, useSaveForm } from '../../components';
import { StatusBadge, formatDate } from './applications-list';
import { ClaimsTab } from './claims-tab';
import { ModulesTab } from './modules-tab';
import { PermissionsTab } from './permissions-tab';
import { ResourcesTab } from './resources-tab';
import { RolesTab } from './roles-tab';
import { ADMIN_APPLICATION_SLUG, type Application, type Data } from './types';

export const applicationKey = (appId: string) => ['applications', appId, 'entity'];

const getApplication = (appId: string) => apiVersioned<Application>(`/applications/${encodeURIComponent(appId)}`);

function useVersionedApplication(appId: string) {
  return useQuery({ queryKey: applicationKey(appId), queryFn: () => getApplication(appId) });
}

export function useApplication(appId: string) {
  return useQuery({ queryKey: applicationKey(appId), queryFn: () => getApplication(appId), select: (r) => r.data });
}

/** `/applications/:appId`: settings and status, then one tab per part of the application the admin may read. */
export function ApplicationDetailScreen() {
  const { appId = '' } = useParams();
  const { can } = useAuth();
  const app = useVersionedApplication(appId);
  if (app.error) return <ErrorMessage error={app.error} />;
  if (!app.data) return <p role="status">Loading application…</p>;
  const { data: application, etag } = app.data;
  const isAdminApp = application.slug === ADMIN_APPLICATION_SLUG;

  const tabs = [
    { id: 'overview', label: 'Overview', content: <OverviewTab application={application} etag={etag} queryKey={applicationKey(appId)} /> },
    { id: 'modules', label: 'Modules', content: <ModulesTab application={application} /> },
    { id: 'resources', label: 'API resources', content: <ResourcesTab application={application} /> },
  ];
  if (can('admin:permission:read')) tabs.push({ id: 'permissions', label: 'Permissions', content: <PermissionsTab application={application} isReadOnly={isAdminApp} /> });
  if (can('admin:role:read')) tabs.push({ id: 'roles', label: 'Roles', content: <RolesTab application={application} isReadOnly={isAdminApp} /> });
  if (can('admin:claim:read')) tabs.push({ id: 'claims', label: 'Claims', content: <ClaimsTab application={application} isReadOnly={isAdminApp} /> });

  return (
    <>
      <PageHeader
        title={application.name}
        description={application.description ?? undefined}
        actions={<StatusActions application={application} />}
      />
      <Tabs tabs={tabs} />
    </>
  );
}

interface EditProps {
  application: Application;
  /** The ETag of `application`, the version the form shows. */
  etag: string | null;
  queryKey: unknown[];
}

function OverviewTab({ application, etag, queryKey }: EditProps) {
  const { can } = useAuth();
  return (
    <>
      <DetailList
        items={[
          { label: 'Slug', value: <code>{application.slug}</code> },
          { label: 'Status', value: <StatusBadge status={application.status} /> },
          { label: 'Created', value: formatDate(application.createdAt) },
          { label: 'Updated', value: formatDate(application.updatedAt) },
        ]}
      />
      {can('admin:app:update') ? <EditApplicationForm application={application} etag={etag} queryKey={queryKey} /> : null}
    </>
  );
}

function EditApplicationForm({ application, etag, queryKey }: EditProps) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(application.name);
  const [description, setDescription] = useState(application.description ?? '');
  useEffect(() => {
    setName(application.name);
    setDescription(application.description ?? '');
  }, [application]);
  const save = useApiMutation(
    () => apiResponse<Data<Application>>(`/applications/${application.id}`, {
      method: 'PUT',
      body: { name, description: description.trim() ? description : null },
      ifMatch: etag ?? undefined,
    }),
    {
      invalidate: [['applications']],
      // The saved version and its new ETag are what the form shows and sends next.
      onSuccess: (res) => queryClient.setQueryData<Versioned<Application>>(queryKey, versionedOf(res)),
    },
  );
  const form = useSaveForm(save, { entity: 'application', reload: () => queryClient.refetchQueries({ queryKey }) });
  return (
    <form className="form section-form" aria-label="Edit application" onSubmit={form.onSubmit}>
      <h2>Settings</h2>
      <TextField label="Name" name="name" value={name} onChange={setName} isRequired />
      <TextAreaField label="Description" name="description" value={description} onChange={setDescription} />
      {form.feedback()}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !name.trim()}>Save changes</Button>
      </div>
    </form>
  );
}

function StatusActions({ application }: { application: Application }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const transition = async (path: 'activate' | 'deactivate' | 'archive') => {
    await api<void>(`/applications/${application.id}/${path}`, { method: 'POST' });
    await queryClient.invalidateQueries({ queryKey: ['applications'] });
  };
  const activate = useApiMutation(() => transition('activate'), { invalidate: [['applications']] });
  if (application.slug === ADMIN_APPLICATION_SLUG) return null;
  const { status } = application;
  return (
    <div className="button-row">
      {can('admin:app:update') && status !== 'active' ? (
        <Button variant="secondary" onPress={() => void activate.mutateAsync(undefined).catch(() => undefined)} isDisabled={activate.isPending}>Activate</Button>
      ) : null}
      {can('admin:app:update') && status === 'active' ? (
        <ConfirmDialog
          title={`Deactivate ${application.name}?`}
          description="An inactive application accepts no new clients; its existing clients keep working. You can activate it again."
          confirmLabel="Deactivate"
          onConfirm={() => transition('deactivate')}
          trigger={<Button variant="secondary">Deactivate</Button>}
        />
      ) : null}
      {can('admin:app:archive') && status !== 'archived' ? (
        <ConfirmDialog
          title={`Archive ${application.name}?`}
          description={`Archiving “${application.slug}” stops it from accepting new clients. It can be activated again later.`}
          confirmLabel="Archive"
          destructive
          onConfirm={() => transition('archive')}
          trigger={<Button variant="danger">Archive</Button>}
        />
      ) : null}
      {activate.error ? <ErrorMessage error={activate.error} /> : null}
    </div>
  );
}
