import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Badge, Button, ErrorMessage, PageHeader, Tabs } from '../../components';
import { Link, useParams } from '../../router';
import { STATUS_LABELS, formatDate, getHistory, getOrganization, orgKeys, type Organization } from './api';
import { ShortId } from '../audit/short-id';
import { BrandingTab } from './branding-tab';
import { LifecycleTab } from './lifecycle-tab';
import { GeneralTab, SignInTab } from './settings-tab';
import './screens.css';

/** `/organizations/:orgId`: settings, branding with its live preview, sign-in and 2FA, lifecycle, history. */
export function OrganizationDetailScreen() {
  const { orgId = '' } = useParams();
  const { can } = useAuth();
  const org = useQuery({ queryKey: orgKeys.one(orgId), queryFn: () => getOrganization(orgId) });

  if (org.error) return <ErrorMessage error={org.error} />;
  if (!org.data) return <p role="status">Loading organization…</p>;
  const o = org.data;
  const shortcuts = (
    <>
      {can('admin:user:read') ? <Link to={`/organizations/${o.id}/users`} className="button button-secondary">Users</Link> : null}
      {can('admin:client:read') ? <Link to={`/organizations/${o.id}/clients`} className="button button-secondary">Clients</Link> : null}
      {can('admin:session:read') ? <Link to={`/sessions?organizationId=${o.id}`} className="button button-secondary">Sessions</Link> : null}
    </>
  );
  // Each tab keeps its draft across refetches; another organization starts fresh.
  const key = o.id;
  return (
    <>
      <PageHeader title={o.name} description={`/${o.slug} · created ${formatDate(o.createdAt)}`} actions={shortcuts} />
      <p className="status-line">
        <Badge>{o.isSuperAdmin ? 'Admin organization' : STATUS_LABELS[o.status]}</Badge>
      </p>
      <Tabs
        tabs={[
          { id: 'general', label: 'General', content: <GeneralTab key={key} org={o} /> },
          { id: 'branding', label: 'Branding', content: <BrandingTab key={key} org={o} /> },
          { id: 'sign-in', label: 'Sign-in and 2FA', content: <SignInTab key={key} org={o} /> },
          { id: 'lifecycle', label: 'Lifecycle', content: <LifecycleTab key={key} org={o} /> },
          { id: 'history', label: 'History', content: <HistoryTab org={o} /> },
        ]}
      />
    </>
  );
}

function HistoryTab({ org }: { org: Organization }) {
  const history = useInfiniteQuery({
    queryKey: orgKeys.part(org.id, `history:${org.updatedAt}`),
    queryFn: ({ pageParam }) => getHistory(org.id, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = history.data?.pages.flatMap((p) => p.data) ?? [];
  if (history.error) return <ErrorMessage error={history.error} />;
  return (
    <div className="stack">
      <table className="table">
        <caption className="visually-hidden">Changes to {org.name}, newest first</caption>
        <thead>
          <tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Details</th></tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatDate(e.createdAt)}</td>
              <td><code className="event-type">{e.eventType}</code></td>
              <td>{e.actorId ? <ShortId id={e.actorId} /> : '—'}</td>
              <td><code className="metadata">{JSON.stringify(e.metadata)}</code></td>
            </tr>
          ))}
          {entries.length === 0 && !history.isPending ? <tr><td colSpan={4}>No changes recorded.</td></tr> : null}
        </tbody>
      </table>
      {history.hasNextPage ? <Button variant="secondary" isDisabled={history.isFetchingNextPage} onPress={() => void history.fetchNextPage()}>Load older entries</Button> : null}
    </div>
  );
}
