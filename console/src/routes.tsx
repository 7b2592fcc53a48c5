import type { JSX } from 'react';
import { DashboardScreen } from './screens/dashboard';
import { SigningKeysScreen } from './screens/signing-keys';
import { SystemConfigScreen } from './screens/system-config';
import { OrganizationsListScreen } from './screens/organizations/organizations-list';
import { OrganizationCreateScreen } from './screens/organizations/organization-create';
import { OrganizationDetailScreen } from './screens/organizations/organization-detail';
import { SessionsScreen } from './screens/sessions/sessions-list';
import { AuditLogScreen } from './screens/audit/audit-log';
import { applicationRoutes } from './screens/applications/routes';
import { clientRoutes } from './screens/clients/routes';
import { userRoutes } from './screens/users/routes';

export interface RouteDef {
  /** Below /admin, with `:name` segments: '/organizations/:orgId'. */
  path: string;
  element: () => JSX.Element;
  /** An entry in the side navigation, shown only to admins holding `permission`. */
  nav?: { label: string; permission?: string; group?: string };
  /** Needed to open the screen at all (default: `nav.permission`). */
  permission?: string;
}

/**
 * The console's screens, matched in order (first match wins). Navigation groups, in this order:
 * Overview, Manage, Activity, System (others follow).
 */
export const routes: RouteDef[] = [
  { path: '/', element: DashboardScreen, nav: { label: 'Dashboard', group: 'Overview' } },
  { path: '/organizations', element: OrganizationsListScreen, nav: { label: 'Organizations', permission: 'admin:org:read', group: 'Manage' } },
  { path: '/organizations/new', element: OrganizationCreateScreen, permission: 'admin:org:create' },
  { path: '/organizations/:orgId', element: OrganizationDetailScreen, permission: 'admin:org:read' },
  ...userRoutes,
  ...applicationRoutes,
  ...clientRoutes,
  { path: '/sessions', element: SessionsScreen, nav: { label: 'Sessions', permission: 'admin:session:read', group: 'Activity' } },
  { path: '/audit', element: AuditLogScreen, nav: { label: 'Audit log', permission: 'admin:audit:read', group: 'Activity' } },
  { path: '/config', element: SystemConfigScreen, nav: { label: 'System config', permission: 'admin:config:read', group: 'System' } },
  { path: '/keys', element: SigningKeysScreen, nav: { label: 'Signing keys', permission: 'admin:key:read', group: 'System' } },
];
