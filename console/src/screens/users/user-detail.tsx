import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Badge, ErrorMessage, PageHeader, Tabs, type TabDef } from '../../components';
import { Link, useParams } from '../../router';
import { getUser, userKeys } from './api';
import { STATUS_LABELS, displayName } from './format';
import { UserAccess } from './user-access';
import { UserClaims } from './user-claims';
import { UserData } from './user-data';
import { UserProfile } from './user-profile';
import { UserRoles } from './user-roles';
import { UserSecurity } from './user-security';
import { UserSessions } from './user-sessions';

/** `/organizations/:orgId/users/:userId`: one user, a tab per area the admin's permissions reach. */
export function UserDetailScreen() {
  const { orgId = '', userId = '' } = useParams();
  const { can } = useAuth();
  const query = useQuery({ queryKey: userKeys.one(orgId, userId), queryFn: () => getUser(orgId, userId) });
  const back = <Link to={`/organizations/${orgId}/users`}>All users of the organization</Link>;

  if (query.isPending) return <p role="status" className="notice-inline">Loading user…</p>;
  if (query.isError) return (<><ErrorMessage error={query.error} />{back}</>);
  const { user, etag } = query.data;

  const tabs: TabDef[] = [
    { id: 'profile', label: 'Profile', content: <UserProfile user={user} etag={etag} /> },
    { id: 'access', label: 'Status', content: <UserAccess user={user} /> },
    ...(can('admin:role:read') ? [{ id: 'roles', label: 'Roles', content: <UserRoles user={user} /> }] : []),
    ...(can('admin:claim:read') ? [{ id: 'claims', label: 'Claims', content: <UserClaims user={user} /> }] : []),
    { id: 'security', label: 'Two-factor', content: <UserSecurity user={user} /> },
    ...(can('admin:session:read') ? [{ id: 'sessions', label: 'Sessions', content: <UserSessions user={user} /> }] : []),
    { id: 'data', label: 'GDPR', content: <UserData user={user} /> },
  ];

  return (
    <>
      <PageHeader
        title={displayName(user)}
        description={`${user.email} · ${user.id}`}
        actions={<Badge>{STATUS_LABELS[user.status]}</Badge>}
      />
      <p>{back}</p>
      <Tabs tabs={tabs} />
    </>
  );
}
