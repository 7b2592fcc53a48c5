import { Badge, DataList, PageHeader, SelectField } from '../../components';
import { useAuth } from '../../auth/session';
import { Link, useParams, useSearchParam } from '../../router';
import { listUsers } from './api';
import { STATUS_LABELS, STATUS_OPTIONS, displayName, formatDate, isUserStatus } from './format';
import type { User } from './types';

/** `/organizations/:orgId/users`: cursor-paged list with search and a status filter. */
export function UsersListScreen() {
  const { orgId = '' } = useParams();
  const { can } = useAuth();
  const [statusParam, setStatus] = useSearchParam('status');
  const status = isUserStatus(statusParam) ? statusParam : null;
  const base = `/organizations/${orgId}/users`;

  const actions = (
    <>
      {can('admin:user:create') && <Link to={`${base}/new`} className="button button-primary">Create user</Link>}
      {can('admin:user:invite') && <Link to={`${base}/invite`} className="button button-secondary">Invite user</Link>}
    </>
  );

  return (
    <>
      <PageHeader title="Users" description="Users of this organization. Search by part of the e-mail address, given or family name." actions={actions} />
      <DataList<User>
        label="Users"
        queryKey={['users', orgId, status ?? 'any']}
        fetchPage={(cursor, search) => listUsers(orgId, cursor, search, status)}
        searchLabel="Search users"
        actions={<SelectField label="Status" options={STATUS_OPTIONS} value={status ?? 'any'} onChange={(v) => setStatus(v === 'any' ? null : v)} />}
        rowLink={(u) => `${base}/${u.id}`}
        columns={[
          { key: 'email', header: 'E-mail', render: (u) => u.email },
          { key: 'name', header: 'Name', render: (u) => (displayName(u) === u.email ? '—' : displayName(u)) },
          { key: 'status', header: 'Status', render: (u) => <Badge>{STATUS_LABELS[u.status]}</Badge> },
          { key: 'lastLogin', header: 'Last sign-in', render: (u) => formatDate(u.lastLoginAt) },
          { key: 'created', header: 'Created', render: (u) => formatDate(u.createdAt) },
        ]}
      />
    </>
  );
}
