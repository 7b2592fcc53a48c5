import type { RouteDef } from '../../routes';
import { ClientCreateScreen } from './client-create';
import { ClientDetailScreen } from './client-detail';
import { ClientsListScreen } from './clients-list';
import { RegistrationTokensScreen } from './registration-tokens';
import { ServiceAccountCreateScreen, ServiceAccountDetailScreen, ServiceAccountsListScreen } from './service-accounts';
import './apps-clients.css';

/** Clients, service accounts and registration tokens (`new` before `:id`: first match wins). */
export const clientRoutes: RouteDef[] = [
  { path: '/clients', element: ClientsListScreen, nav: { label: 'Clients', permission: 'admin:client:read', group: 'Manage' } },
  { path: '/clients/new', element: ClientCreateScreen, permission: 'admin:client:create' },
  { path: '/clients/:clientId', element: ClientDetailScreen, permission: 'admin:client:read' },
  { path: '/organizations/:orgId/clients', element: ClientsListScreen, permission: 'admin:client:read' },
  { path: '/service-accounts', element: ServiceAccountsListScreen, nav: { label: 'Service accounts', permission: 'admin:client:read', group: 'Manage' } },
  { path: '/service-accounts/new', element: ServiceAccountCreateScreen, permission: 'admin:client:create' },
  { path: '/service-accounts/:accountId', element: ServiceAccountDetailScreen, permission: 'admin:client:read' },
  { path: '/registration-tokens', element: RegistrationTokensScreen, nav: { label: 'Registration tokens', permission: 'admin:client:read', group: 'Manage' } },
  { path: '/organizations/:orgId/registration-tokens', element: RegistrationTokensScreen, permission: 'admin:client:read' },
];
