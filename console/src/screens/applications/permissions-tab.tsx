import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, SelectField, TextAreaField, TextField, useApiMutation } from '../../components';
import { ListTable } from './list-table';
import type { AppModule, Application, Data, Permission } from './types';

export const permissionsKey = (appId: string) => ['applications', appId, 'permissions'];

export function usePermissions(appId: string) {
  return useQuery({ queryKey: permissionsKey(appId), queryFn: () => api<Data<Permission[]>>(`/applications/${appId}/permissions`).then((r) => r.data) });
}

/** The application's permissions (slugs such as `billing:invoice:pay`), optionally inside a module. */
export function PermissionsTab({ application, isReadOnly }: { application: Application; isReadOnly: boolean }) {
  const { can } = useAuth();
  const permissions = usePermissions(application.id);
  const modules = useQuery({
    queryKey: ['applications', application.id, 'modules'],
    queryFn: () => api<Data<AppModule[]>>(`/applications/${application.id}/modules`).then((r) => r.data),
    enabled: can('admin:app:read'),
  });
  const [editing, setEditing] = useState<Permission | null>(null);
  const moduleName = (id: string | null) => (id ? (modules.data?.find((m) => m.id === id)?.name ?? id) : '—');
  const canCreate = can('admin:permission:create') && !isReadOnly;
  const canDelete = can('admin:permission:archive') && !isReadOnly;
  const remove = (p: Permission) =>
    api<void>(`/applications/${application.id}/permissions/${p.id}`, { method: 'DELETE', query: { force: true } }).then(() => permissions.refetch()).then(() => undefined);

  return (
    <section aria-labelledby="permissions-heading">
      <h2 id="permissions-heading">Permissions</h2>
      {isReadOnly ? <p className="muted">The permissions of the admin application are built in and read-only.</p> : null}
      {permissions.error ? <ErrorMessage error={permissions.error} /> : null}
      {permissions.data ? (
        <ListTable
          label="Permissions"
          rows={permissions.data}
          empty="No permissions yet."
          columns={[
            { key: 'slug', header: 'Slug', render: (p) => <code>{p.slug}</code> },
            { key: 'name', header: 'Name', render: (p) => p.name },
            { key: 'module', header: 'Module', render: (p) => moduleName(p.moduleId) },
            { key: 'description', header: 'Description', render: (p) => p.description ?? '' },
            {
              key: 'actions',
              header: 'Actions',
              render: (p) => (
                <div className="button-row">
                  {canCreate ? <Button variant="secondary" onPress={() => setEditing(p)}>Edit {p.slug}</Button> : null}
                  {canDelete ? (
                    <ConfirmDialog
                      title={`Delete permission ${p.slug}?`}
                      description={`“${p.name}” is deleted and removed from every role of ${application.name} that grants it.`}
                      confirmLabel="Delete permission"
                      destructive
                      onConfirm={() => remove(p)}
                      trigger={<Button variant="danger">Delete {p.slug}</Button>}
                    />
                  ) : null}
                </div>
              ),
            },
          ]}
        />
      ) : null}
      {canCreate ? (
        <PermissionForm key={editing?.id ?? 'new'} application={application} modules={modules.data ?? []} permission={editing ?? undefined} onDone={() => setEditing(null)} />
      ) : null}
    </section>
  );
}

function PermissionForm({ application, modules, permission, onDone }: { application: Application; modules: AppModule[]; permission?: Permission; onDone: () => void }) {
  const [name, setName] = useState(permission?.name ?? '');
  const [slug, setSlug] = useState('');
  const [moduleId, setModuleId] = useState('');
  const [description, setDescription] = useState(permission?.description ?? '');
  const save = useApiMutation(
    () =>
      permission
        ? api<Data<Permission>>(`/applications/${application.id}/permissions/${permission.id}`, { method: 'PUT', body: { name, description: description.trim() ? description : null } })
        : api<Data<Permission>>(`/applications/${application.id}/permissions`, {
            method: 'POST',
            body: { name, slug, moduleId: moduleId || null, description: description.trim() || null },
          }),
    { invalidate: [permissionsKey(application.id)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.mutateAsync(undefined);
    if (!permission) {
      setName('');
      setSlug('');
      setModuleId('');
      setDescription('');
    }
    onDone();
  };
  const title = permission ? `Edit permission ${permission.slug}` : 'New permission';
  return (
    <form className="form section-form" aria-label={title} onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h3>{title}</h3>
      <TextField label="Permission name" name="permissionName" value={name} onChange={setName} isRequired />
      {permission ? null : (
        <>
          <TextField label="Permission slug" name="permissionSlug" value={slug} onChange={setSlug} isRequired description="At least three segments separated by colons, e.g. billing:invoice:pay. It cannot change later." />
          <SelectField label="Module" value={moduleId} onChange={setModuleId} options={[{ value: '', label: 'No module' }, ...modules.filter((m) => m.status === 'active').map((m) => ({ value: m.id, label: m.name }))]} />
        </>
      )}
      <TextAreaField label="Permission description" name="permissionDescription" value={description} onChange={setDescription} />
      {save.error ? <ErrorMessage error={save.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !name.trim() || (!permission && !slug.trim())}>{permission ? 'Save permission' : 'Add permission'}</Button>
        {permission ? <Button variant="secondary" onPress={onDone}>Cancel</Button> : null}
      </div>
    </form>
  );
}
