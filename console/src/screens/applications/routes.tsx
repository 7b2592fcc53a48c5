import type { RouteDef } from '../../routes';
import { ApplicationCreateScreen } from './application-create';
import { ApplicationDetailScreen } from './application-detail';
import { ApplicationsListScreen } from './applications-list';
import { RoleDetailScreen } from './role-detail';
import '../clients/apps-clients.css';

/** Applications with their modules, API resources, permissions, roles and claims (`new` before `:appId`: first match wins). */
export const applicationRoutes: RouteDef[] = [
  { path: '/applications', element: ApplicationsListScreen, nav: { label: 'Applications', permission: 'admin:app:read', group: 'Manage' } },
  { path: '/applications/new', element: ApplicationCreateScreen, permission: 'admin:app:create' },
  { path: '/applications/:appId', element: ApplicationDetailScreen, permission: 'admin:app:read' },
  { path: '/applications/:appId/roles/:roleId', element: RoleDetailScreen, permission: 'admin:role:read' },
];
