import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link, useParams, useSearchParam } from '../../router';
import { Badge, DataList, PageHeader } from '../../components';
import { formatDate } from '../applications/applications-list';
import { ApplicationPicker, OrganizationPicker } from './pickers';
import type { Client, CursorPage } from './types';

export function ClientStatusBadge({ status }: { status: string }) {
  const tone = status === 'active' ? 'success' : status === 'inactive' ? 'warning' : 'danger';
  return <Badge tone={tone}>{status}</Badge>;
}

/**
 * `/clients` (every organization, narrowed with the organization picker, kept in `?org=`) and
 * `/organizations/:orgId/clients` (one organization).
 */
export function ClientsListScreen() {
  const { can } = useAuth();
  const { orgId: pathOrg } = useParams();
  const [queryOrg, setQueryOrg] = useSearchParam('org');
  const [appId, setAppId] = useSearchParam('app');
  const orgId = pathOrg ?? queryOrg;
  const newHref = orgId ? `/clients/new?org=${encodeURIComponent(orgId)}` : '/clients/new';
  return (
    <>
      <PageHeader
        title="Clients"
        description="OIDC clients (relying parties). Each belongs to one organization and one application."
        actions={
          <>
            {pathOrg ? <Link to={`/organizations/${encodeURIComponent(pathOrg)}/registration-tokens`} className="button button-secondary">Registration tokens</Link> : null}
            {can('admin:client:create') ? <Link to={newHref} className="button button-primary">New client</Link> : null}
          </>
        }
      />
      <div className="filters">
        {pathOrg ? null : <OrganizationPicker label="Filter by organization" value={queryOrg} onChange={setQueryOrg} description="Empty: every organization." />}
        {can('admin:app:read') ? <ApplicationPicker label="Filter by application" value={appId} onChange={setAppId} description="Empty: every application." isAnyApplication /> : null}
      </div>
      <DataList<Client>
        label="Clients"
        queryKey={['clients', 'list', orgId ?? 'all', appId ?? 'all']}
        searchLabel="Search clients by name or client_id"
        fetchPage={(cursor, search) =>
          api<CursorPage<Client>>('/clients', {
            query: { limit: 25, cursor: cursor ?? undefined, search: search || undefined, organizationId: orgId ?? undefined, applicationId: appId ?? undefined, sortBy: 'client_name', sortOrder: 'asc' },
          })
        }
        rowLink={(c) => `/clients/${c.id}`}
        columns={[
          { key: 'name', header: 'Name', render: (c) => <Link to={`/clients/${c.id}`}>{c.clientName}</Link> },
          { key: 'clientId', header: 'Client ID', render: (c) => <code className="truncate">{c.clientId}</code> },
          { key: 'type', header: 'Type', render: (c) => `${c.clientType} · ${c.applicationType}` },
          { key: 'status', header: 'Status', render: (c) => <ClientStatusBadge status={c.status} /> },
          { key: 'createdAt', header: 'Created', render: (c) => formatDate(c.createdAt) },
        ]}
      />
    </>
  );
}
