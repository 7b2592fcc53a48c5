import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link, useNavigate, useParams } from '../../router';
import { Button, CheckboxField, ConfirmDialog, ErrorMessage, PageHeader, TextAreaField, TextField, useApiMutation, useSaveForm } from '../../components';
import { useApplication } from './application-detail';
import { usePermissions } from './permissions-tab';
import { rolesKey } from './roles-tab';
import { ADMIN_APPLICATION_SLUG, type Application, type Data, type Permission, type Role } from './types';

const roleKey = (appId: string, roleId: string) => ['applications', appId, 'roles', roleId];

/** `/applications/:appId/roles/:roleId`: a role's settings and the permissions it grants. */
export function RoleDetailScreen() {
  const { appId = '', roleId = '' } = useParams();
  const app = useApplication(appId);
  const role = useQuery({
    queryKey: roleKey(appId, roleId),
    queryFn: () => api<Data<Role>>(`/applications/${encodeURIComponent(appId)}/roles/${encodeURIComponent(roleId)}`).then((r) => r.data),
  });
  const error = app.error ?? role.error;
  if (error) return <ErrorMessage error={error} />;
  if (!app.data || !role.data) return <p role="status">Loading role…</p>;
  return <RoleView application={app.data} role={role.data} />;
}

function RoleView({ application, role }: { application: Application; role: Role }) {
  const { can } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const isReadOnly = application.slug === ADMIN_APPLICATION_SLUG;
  const remove = async () => {
    await api<void>(`/applications/${application.id}/roles/${role.id}`, { method: 'DELETE', query: { force: true } });
    await queryClient.invalidateQueries({ queryKey: rolesKey(application.id) });
    navigate(`/applications/${application.slug}`);
  };
  return (
    <>
      <p className="breadcrumb">
        <Link to="/applications">Applications</Link> / <Link to={`/applications/${application.slug}`}>{application.name}</Link> / Roles
      </p>
      <PageHeader
        title={role.name}
        description={role.description ?? undefined}
        actions={
          can('admin:role:archive') && !isReadOnly ? (
            <ConfirmDialog
              title={`Delete role ${role.name}?`}
              description={`The role “${role.slug}” of ${application.name} is deleted and taken away from every user who holds it.`}
              confirmLabel="Delete role"
              destructive
              typeToConfirm={role.slug}
              onConfirm={remove}
              trigger={<Button variant="danger">Delete role</Button>}
            />
          ) : undefined
        }
      />
      {isReadOnly ? <p className="muted">A built-in admin role: read-only.</p> : null}
      {can('admin:role:update') && !isReadOnly ? <EditRoleForm application={application} role={role} /> : null}
      <RolePermissions application={application} role={role} isEditable={can('admin:role:update') && !isReadOnly} />
    </>
  );
}

function EditRoleForm({ application, role }: { application: Application; role: Role }) {
  const [name, setName] = useState(role.name);
  const [slug, setSlug] = useState(role.slug);
  const [description, setDescription] = useState(role.description ?? '');
  useEffect(() => {
    setName(role.name);
    setSlug(role.slug);
    setDescription(role.description ?? '');
  }, [role]);
  const save = useApiMutation(
    () => api<Data<Role>>(`/applications/${application.id}/roles/${role.id}`, { method: 'PUT', body: { name, slug, description: description.trim() ? description : null } }),
    { invalidate: [rolesKey(application.id)] },
  );
  const form = useSaveForm(save);
  return (
    <form className="form section-form" aria-label="Edit role" onSubmit={form.onSubmit}>
      <h2>Settings</h2>
      <TextField label="Role name" name="roleName" value={name} onChange={setName} isRequired />
      <TextField label="Role slug" name="roleSlug" value={slug} onChange={setSlug} isRequired />
      <TextAreaField label="Role description" name="roleDescription" value={description} onChange={setDescription} />
      {form.feedback()}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !name.trim() || !slug.trim()}>Save role</Button>
      </div>
    </form>
  );
}

/** Checkboxes over the application's permissions; saving adds the newly ticked and removes the cleared ones. */
function RolePermissions({ application, role, isEditable }: { application: Application; role: Role; isEditable: boolean }) {
  const { can } = useAuth();
  const key = [...roleKey(application.id, role.id), 'permissions'];
  const granted = useQuery({ queryKey: key, queryFn: () => api<Data<Permission[]>>(`/applications/${application.id}/roles/${role.id}/permissions`).then((r) => r.data) });
  const all = usePermissions(application.id);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (granted.data) setSelected(new Set(granted.data.map((p) => p.id)));
  }, [granted.data]);
  const save = useApiMutation(
    async () => {
      const before = new Set((granted.data ?? []).map((p) => p.id));
      const added = [...selected].filter((id) => !before.has(id));
      const removed = [...before].filter((id) => !selected.has(id));
      const path = `/applications/${application.id}/roles/${role.id}/permissions`;
      if (added.length > 0) await api<void>(path, { method: 'PUT', body: { permissionIds: added } });
      if (removed.length > 0) await api<void>(path, { method: 'DELETE', body: { permissionIds: removed } });
    },
    { invalidate: [key] },
  );
  const form = useSaveForm(save);
  const toggle = (id: string, isOn: boolean) => {
    form.markChanged();
    setSelected((prev) => {
      const next = new Set(prev);
      if (isOn) next.add(id);
      else next.delete(id);
      return next;
    });
  };
  const error = granted.error ?? all.error;
  // Without permission:read the full list is unavailable: show what the role grants, read-only.
  const options = can('admin:permission:read') ? (all.data ?? []) : (granted.data ?? []);
  return (
    <form className="form section-form" aria-label="Role permissions" onSubmit={form.onSubmit}>
      <h2>Permissions</h2>
      {error ? <ErrorMessage error={error} /> : null}
      {options.length === 0 && granted.data ? <p className="empty">The application has no permissions yet.</p> : null}
      <fieldset className="checkbox-list">
        <legend className="visually-hidden">Permissions granted by {role.name}</legend>
        {options.map((p) => (
          <CheckboxField key={p.id} label={`${p.slug} — ${p.name}`} isSelected={selected.has(p.id)} isDisabled={!isEditable} onChange={(isOn: boolean) => toggle(p.id, isOn)} />
        ))}
      </fieldset>
      {form.feedback('Permissions saved.')}
      {isEditable ? (
        <div className="button-row">
          <Button variant="primary" type="submit" isDisabled={save.isPending}>Save permissions</Button>
        </div>
      ) : null}
    </form>
  );
}
