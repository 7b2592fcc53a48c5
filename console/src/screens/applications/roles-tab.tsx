import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link, useNavigate } from '../../router';
import { Button, ErrorMessage, TextAreaField, TextField, useApiMutation } from '../../components';
import { ListTable } from './list-table';
import type { Application, Data, Role } from './types';

export const rolesKey = (appId: string) => ['applications', appId, 'roles'];

/** The application's roles; each links to its page, where its permissions are mapped. */
export function RolesTab({ application, isReadOnly }: { application: Application; isReadOnly: boolean }) {
  const { can } = useAuth();
  const roles = useQuery({ queryKey: rolesKey(application.id), queryFn: () => api<Data<Role[]>>(`/applications/${application.id}/roles`).then((r) => r.data) });
  const href = (role: Role) => `/applications/${application.slug}/roles/${role.id}`;
  return (
    <section aria-labelledby="roles-heading">
      <h2 id="roles-heading">Roles</h2>
      {isReadOnly ? <p className="muted">The roles of the admin application are built in and read-only; assign them to admins on a user's page.</p> : null}
      {roles.error ? <ErrorMessage error={roles.error} /> : null}
      {roles.data ? (
        <ListTable
          label="Roles"
          rows={roles.data}
          empty="No roles yet."
          columns={[
            { key: 'name', header: 'Name', render: (r) => <Link to={href(r)}>{r.name}</Link> },
            { key: 'slug', header: 'Slug', render: (r) => <code>{r.slug}</code> },
            { key: 'description', header: 'Description', render: (r) => r.description ?? '' },
          ]}
        />
      ) : null}
      {can('admin:role:create') && !isReadOnly ? <NewRoleForm application={application} /> : null}
    </section>
  );
}

function NewRoleForm({ application }: { application: Application }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [description, setDescription] = useState('');
  const create = useApiMutation(
    () => api<Data<Role>>(`/applications/${application.id}/roles`, { method: 'POST', body: { name, slug: slug.trim() || undefined, description: description.trim() || null } }),
    { invalidate: [rolesKey(application.id)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create.mutateAsync(undefined);
    navigate(`/applications/${application.slug}/roles/${data.id}`);
  };
  return (
    <form className="form section-form" aria-label="New role" onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h3>New role</h3>
      <TextField label="Role name" name="roleName" value={name} onChange={setName} isRequired />
      <TextField label="Role slug" name="roleSlug" value={slug} onChange={setSlug} description="Lowercase letters, digits and hyphens, unique in the application; derived from the name when empty." />
      <TextAreaField label="Role description" name="roleDescription" value={description} onChange={setDescription} />
      {create.error ? <ErrorMessage error={create.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={create.isPending || !name.trim()}>Create role</Button>
      </div>
    </form>
  );
}
