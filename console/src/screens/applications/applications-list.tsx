import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Link } from '../../router';
import { Badge, DataList, PageHeader } from '../../components';
import type { Application } from './types';

interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
  previousCursor: string | null;
}

/** `/applications`: every application, searched by name or slug, keyset-paged by the API. */
export function ApplicationsListScreen() {
  const { can } = useAuth();
  return (
    <>
      <PageHeader
        title="Applications"
        description="Applications group clients, roles, permissions, custom claims and API resources. They are global: clients of any organization may belong to one."
        actions={can('admin:app:create') ? <Link to="/applications/new" className="button button-primary">New application</Link> : undefined}
      />
      <DataList<Application>
        label="Applications"
        queryKey={['applications', 'list']}
        searchLabel="Search applications by name or slug"
        fetchPage={(cursor, search) =>
          api<CursorPage<Application>>('/applications', {
            query: { limit: 25, cursor: cursor ?? undefined, search: search || undefined, sortBy: 'name', sortOrder: 'asc' },
          })
        }
        rowLink={(app) => `/applications/${app.slug}`}
        columns={[
          { key: 'name', header: 'Name', render: (app) => <Link to={`/applications/${app.slug}`}>{app.name}</Link> },
          { key: 'slug', header: 'Slug', render: (app) => <code>{app.slug}</code> },
          { key: 'status', header: 'Status', render: (app) => <StatusBadge status={app.status} /> },
          { key: 'createdAt', header: 'Created', render: (app) => formatDate(app.createdAt) },
        ]}
      />
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'active' ? 'success' : status === 'inactive' ? 'warning' : 'neutral';
  return <Badge tone={tone}>{status}</Badge>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString();
}
