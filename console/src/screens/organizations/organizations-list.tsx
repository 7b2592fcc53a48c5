import { useAuth } from '../../auth/session';
import { Badge, DataList, PageHeader, SelectField } from '../../components';
import { Link, useSearchParam } from '../../router';
import { STATUS_LABELS, formatDate, listOrganizations, type Organization, type OrganizationStatus } from './api';
import './screens.css';

const STATUS_OPTIONS = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'archived', label: 'Archived' },
];
const SORT_OPTIONS = [
  { value: 'created_at', label: 'Newest first' },
  { value: 'name', label: 'Name (A–Z)' },
];

const isStatus = (v: string | null): v is OrganizationStatus => v === 'active' || v === 'suspended' || v === 'archived';

/** `/organizations`: cursor-paged, searched on the server by name or slug, filtered by status. */
export function OrganizationsListScreen() {
  const { can } = useAuth();
  const [statusParam, setStatus] = useSearchParam('status');
  const [sortParam, setSort] = useSearchParam('sort');
  const status = isStatus(statusParam) ? statusParam : null;
  const sort = sortParam === 'name' ? 'name' : 'created_at';

  return (
    <>
      <PageHeader
        title="Organizations"
        description="Every tenant of this Porta. Search by part of the name or slug."
        actions={can('admin:org:create') ? <Link to="/organizations/new" className="button button-primary">Create organization</Link> : undefined}
      />
      <div className="filters">
        <SelectField label="Status" options={STATUS_OPTIONS} value={status ?? ''} onChange={(v) => setStatus(v || null)} />
        <SelectField label="Order" options={SORT_OPTIONS} value={sort} onChange={(v) => setSort(v === 'name' ? 'name' : null)} />
      </div>
      {/* Keyed by filter and order: a cursor is only valid for the list it came from. */}
      <DataList<Organization>
        key={`${status ?? 'any'}|${sort}`}
        label="Organizations"
        queryKey={['organizations', 'list', status ?? 'any', sort]}
        fetchPage={(cursor, search) => listOrganizations(cursor, search, status, sort)}
        searchLabel="Search organizations"
        rowLink={(o) => `/organizations/${o.id}`}
        columns={[
          { key: 'name', header: 'Name', render: (o) => o.name },
          { key: 'slug', header: 'Slug', render: (o) => <code>{o.slug}</code> },
          { key: 'status', header: 'Status', render: (o) => <Badge>{o.isSuperAdmin ? 'Admin organization' : STATUS_LABELS[o.status]}</Badge> },
          { key: 'locale', header: 'Language', render: (o) => o.defaultLocale },
          { key: 'created', header: 'Created', render: (o) => formatDate(o.createdAt) },
        ]}
      />
    </>
  );
}
