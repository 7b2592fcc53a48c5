import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Badge, DataList, PageHeader, SelectField, TextField, type CursorPage } from '../../components';
import { useSearchParam } from '../../router';
import { isUuid, resolveOrganizationId, useDebouncedParam } from './filters';
import { ShortId } from './short-id';
import '../organizations/screens.css';

export interface AuditEntry {
  id: string;
  eventType: string;
  eventCategory: string;
  actorId: string | null;
  actorType: string | null;
  actorClientId: string | null;
  actorName: string | null;
  source: string | null;
  organizationId: string | null;
  userId: string | null;
  targetType: string | null;
  targetId: string | null;
  metadata: Record<string, unknown>;
  ipAddress: string | null;
  createdAt: string;
}

const PAGE_SIZE = 50;
const CATEGORIES = [
  { value: '', label: 'Any category' },
  { value: 'admin', label: 'Admin' },
  { value: 'authentication', label: 'Authentication' },
  { value: 'security', label: 'Security' },
  { value: 'gdpr', label: 'GDPR' },
  { value: 'system', label: 'System' },
];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A day typed as YYYY-MM-DD: `since` from its start, `until` to its end (UTC). */
const dayBound = (day: string, edge: 'start' | 'end') => (DATE.test(day) ? `${day}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : undefined);

interface Filters {
  category: string;
  org: string;
  user: string;
  actor: string;
  since: string;
  until: string;
}

async function listAudit(cursor: string | null, event: string, f: Filters, canReadOrgs: boolean): Promise<CursorPage<AuditEntry>> {
  const org = f.org ? await resolveOrganizationId(f.org, canReadOrgs) : undefined;
  const body = await api<{ data: AuditEntry[]; total: number; nextCursor: string | null }>('/audit', {
    query: {
      limit: PAGE_SIZE,
      cursor: cursor ?? undefined,
      event: event || undefined,
      category: f.category || undefined,
      org,
      user: f.user || undefined,
      actor: f.actor || undefined,
      since: dayBound(f.since, 'start'),
      until: dayBound(f.until, 'end'),
    },
  });
  return { data: body.data, nextCursor: body.nextCursor };
}

function actorOf(e: AuditEntry): string {
  const id = e.actorId ?? e.actorClientId;
  const who = e.actorName ?? (id ? `${id.slice(0, 8)}…` : null);
  return [e.actorType, who].filter(Boolean).join(': ') || '—';
}

/** `/audit`: the audit log, newest first, with every filter of `GET /audit` and cursor paging. */
export function AuditLogScreen() {
  const { can } = useAuth();
  const [categoryParam, setCategory] = useSearchParam('category');
  const [orgInput, setOrgInput, org] = useDebouncedParam('org');
  const [userInput, setUserInput, user] = useDebouncedParam('user');
  const [actorInput, setActorInput, actor] = useDebouncedParam('actor');
  const [sinceInput, setSinceInput, since] = useDebouncedParam('since');
  const [untilInput, setUntilInput, until] = useDebouncedParam('until');
  const category = categoryParam ?? '';
  const uuidError = (v: string) => (v && !isUuid(v) ? 'An ID is a UUID.' : undefined);
  const dateError = (v: string) => (v && !DATE.test(v) ? 'Use YYYY-MM-DD.' : undefined);
  const filters: Filters = {
    category,
    org,
    user: isUuid(user) ? user : '',
    actor: isUuid(actor) ? actor : '',
    since: DATE.test(since) ? since : '',
    until: DATE.test(until) ? until : '',
  };

  return (
    <>
      <PageHeader title="Audit log" description="Every change and security event, newest first. Dates are UTC days." />
      <div className="filters">
        <SelectField label="Category" options={CATEGORIES} value={category} onChange={(v) => setCategory(v || null)} />
        <TextField label="Organization (ID or slug)" name="org" value={orgInput} onChange={setOrgInput} />
        <TextField label="User ID (the subject)" name="user" value={userInput} onChange={setUserInput} errorMessage={uuidError(userInput.trim())} />
        <TextField label="Actor ID (who acted)" name="actor" value={actorInput} onChange={setActorInput} errorMessage={uuidError(actorInput.trim())} />
        <TextField label="From (YYYY-MM-DD)" name="since" value={sinceInput} onChange={setSinceInput} placeholder="2026-01-31" errorMessage={dateError(sinceInput.trim())} />
        <TextField label="To (YYYY-MM-DD)" name="until" value={untilInput} onChange={setUntilInput} placeholder="2026-02-28" errorMessage={dateError(untilInput.trim())} />
      </div>
      {/* Keyed by the filters: a cursor of one filtered list means nothing for another. */}
      <DataList<AuditEntry>
        key={JSON.stringify(filters)}
        label="Audit entries"
        queryKey={['audit', filters]}
        fetchPage={(cursor, event) => listAudit(cursor, event, filters, can('admin:org:read'))}
        searchLabel="Event type (exact, or a prefix ending in “.” such as user.)"
        emptyText="No audit entries match."
        columns={[
          { key: 'when', header: 'When', render: (e) => new Date(e.createdAt).toLocaleString() },
          { key: 'event', header: 'Event', render: (e) => <code className="event-type">{e.eventType}</code> },
          { key: 'category', header: 'Category', render: (e) => <Badge tone="info">{e.eventCategory}</Badge> },
          { key: 'actor', header: 'Actor', render: actorOf },
          { key: 'org', header: 'Organization', render: (e) => (e.organizationId ? <ShortId id={e.organizationId} to={can('admin:org:read') ? `/organizations/${e.organizationId}` : undefined} /> : '—') },
          { key: 'target', header: 'Target', render: (e) => (e.targetType ? <>{e.targetType} {e.targetId ? <ShortId id={e.targetId} /> : null}</> : '—') },
          { key: 'details', header: 'Details', render: (e) => <code className="metadata">{JSON.stringify(e.metadata)}</code> },
          { key: 'ip', header: 'IP address', render: (e) => e.ipAddress ?? '—' },
        ]}
      />
    </>
  );
}
