import type { RouteDef } from '../../routes';
import { UserCreateScreen } from './user-create';
import { UserDetailScreen } from './user-detail';
import { UserInviteScreen } from './user-invite';
import { UsersListScreen } from './user-list';
import { UsersHomeScreen } from './users-home';
import './users.css';

/** User management per organization (`new` and `invite` before `:userId`: first match wins). */
export const userRoutes: RouteDef[] = [
  { path: '/users', element: UsersHomeScreen, nav: { label: 'Users', permission: 'admin:user:read', group: 'Manage' } },
  { path: '/organizations/:orgId/users', element: UsersListScreen, permission: 'admin:user:read' },
  { path: '/organizations/:orgId/users/new', element: UserCreateScreen, permission: 'admin:user:create' },
  { path: '/organizations/:orgId/users/invite', element: UserInviteScreen, permission: 'admin:user:invite' },
  { path: '/organizations/:orgId/users/:userId', element: UserDetailScreen, permission: 'admin:user:read' },
];
