import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, DataList, ErrorMessage, PageHeader, TextField } from '../../components';
import { Link, useNavigate } from '../../router';
import { findUserAnywhere } from './api';
import type { CursorPage } from './types';

interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  status: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/users`: where user management starts. Listing organizations needs `org:read`, which a user admin
 * lacks; such an admin opens their own organization or a user by id (the org-less alias of the API).
 */
export function UsersHomeScreen() {
  const { me, can } = useAuth();
  return (
    <>
      <PageHeader title="Users" description="Users belong to one organization. Choose the organization, or open a user by id." />
      <p>
        <Link to={`/organizations/${me.organization.id}/users`}>Users of {me.organization.slug} (your organization)</Link>
      </p>
      <OpenUserById />
      {can('admin:org:read') && (
        <DataList<OrganizationRow>
          label="Organizations"
          queryKey={['users-home', 'organizations']}
          fetchPage={(cursor, search) => api<CursorPage<OrganizationRow>>('/organizations', { query: { limit: 25, cursor: cursor ?? undefined, search: search.trim() || undefined } })}
          searchLabel="Search organizations"
          rowLink={(o) => `/organizations/${o.id}/users`}
          columns={[
            { key: 'name', header: 'Organization', render: (o) => o.name },
            { key: 'slug', header: 'Slug', render: (o) => o.slug },
            { key: 'status', header: 'Status', render: (o) => o.status },
          ]}
        />
      )}
    </>
  );
}

function OpenUserById() {
  const navigate = useNavigate();
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [isPending, setPending] = useState(false);

  async function open(e?: FormEvent) {
    e?.preventDefault();
    setError(null);
    const id = userId.trim();
    if (!UUID.test(id)) {
      setError(new Error('A user id is a UUID such as 0b6f1c2e-…'));
      return;
    }
    setPending(true);
    try {
      const user = await findUserAnywhere(id);
      navigate(`/organizations/${user.organizationId}/users/${user.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={open} aria-label="Open a user by id" className="inline-form">
      <TextField label="User id" name="userId" value={userId} onChange={setUserId} />
      <Button type="submit" variant="secondary" isDisabled={isPending}>Open user</Button>
      {error !== null && <ErrorMessage error={error} />}
    </form>
  );
}
