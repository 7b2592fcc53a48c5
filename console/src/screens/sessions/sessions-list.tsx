import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Badge, Button, CheckboxField, ConfirmDialog, DataList, PageHeader, TextField, type CursorPage } from '../../components';
import { useSearchParam } from '../../router';
import { isUuid, resolveOrganizationId, useDebouncedParam } from '../audit/filters';
import { ShortId } from '../audit/short-id';
import '../organizations/screens.css';

export interface TrackedSession {
  sessionId: string;
  userId: string;
  clientId: string | null;
  organizationId: string;
  grantId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  expiresAt: string;
  lastActivityAt: string;
  revokedAt: string | null;
}

const PAGE_SIZE = 25;
const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** `GET /sessions` pages by number; its page numbers serve as the list's cursors. */
async function listSessions(cursor: string | null, filters: { organizationId?: string; userId?: string; activeOnly: boolean }): Promise<CursorPage<TrackedSession>> {
  const page = cursor ? Number(cursor) : 1;
  const body = await api<{ data: TrackedSession[]; total: number }>('/sessions', {
    query: { page, pageSize: PAGE_SIZE, activeOnly: filters.activeOnly, organizationId: filters.organizationId, userId: filters.userId },
  });
  return { data: body.data, nextCursor: page * PAGE_SIZE < body.total ? String(page + 1) : null, previousCursor: page > 1 ? String(page - 1) : null };
}

function stateOf(s: TrackedSession): string {
  if (s.revokedAt) return 'Revoked';
  return new Date(s.expiresAt).getTime() <= Date.now() ? 'Expired' : 'Active';
}

/** `/sessions`: every tracked session, filtered by organization, user and state; each can be ended. */
export function SessionsScreen() {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const [orgInput, setOrgInput, org] = useDebouncedParam('organizationId');
  const [userInput, setUserInput, userParam] = useDebouncedParam('userId');
  const [allParam, setAll] = useSearchParam('all');
  const activeOnly = allParam !== '1';
  const user = isUuid(userParam) ? userParam : '';

  const revoke = async (s: TrackedSession) => {
    await api<void>(`/sessions/${encodeURIComponent(s.sessionId)}`, { method: 'DELETE' });
    await queryClient.invalidateQueries({ queryKey: ['sessions'] });
  };

  return (
    <>
      <PageHeader title="Sessions" description="Sign-in sessions across organizations, most recent activity first. Ending one signs the user out at once." />
      <div className="filters">
        <TextField label="Organization (ID or slug)" name="organization" value={orgInput} onChange={setOrgInput} />
        <TextField label="User ID" name="user" value={userInput} onChange={setUserInput} errorMessage={userInput.trim() && !isUuid(userInput.trim()) ? 'A user ID is a UUID.' : undefined} />
        <CheckboxField label="Include ended and expired sessions" isSelected={!activeOnly} onChange={(v) => setAll(v ? '1' : null)} />
      </div>
      {/* Keyed by the filters: a page number of one filter means nothing for another. */}
      <DataList<TrackedSession>
        key={`${org}|${user}|${activeOnly}`}
        label="Sessions"
        queryKey={['sessions', org, user, activeOnly]}
        fetchPage={async (cursor) => {
          const organizationId = org ? await resolveOrganizationId(org, can('admin:org:read')) : undefined;
          return listSessions(cursor, { organizationId, userId: user || undefined, activeOnly });
        }}
        emptyText={activeOnly ? 'No active sessions match.' : 'No sessions match.'}
        columns={[
          { key: 'user', header: 'User', render: (s) => <ShortId id={s.userId} to={can('admin:user:read') ? `/organizations/${s.organizationId}/users/${s.userId}` : undefined} /> },
          { key: 'org', header: 'Organization', render: (s) => <ShortId id={s.organizationId} to={can('admin:org:read') ? `/organizations/${s.organizationId}` : undefined} /> },
          { key: 'state', header: 'State', render: (s) => <Badge>{stateOf(s)}</Badge> },
          { key: 'last', header: 'Last activity', render: (s) => <span title={`Started ${formatDate(s.createdAt)}, expires ${formatDate(s.expiresAt)}`}>{formatDate(s.lastActivityAt)}</span> },
          { key: 'ip', header: 'IP address', render: (s) => s.ipAddress ?? '—' },
          { key: 'agent', header: 'Browser', render: (s) => <span className="truncate" title={s.userAgent ?? undefined}>{s.userAgent ?? '—'}</span> },
          {
            key: 'actions',
            header: 'Actions',
            render: (s) =>
              can('admin:session:revoke') && stateOf(s) === 'Active' ? (
                <ConfirmDialog
                  title="End this session?"
                  description={`Session ${s.sessionId} of user ${s.userId} ends now, with its tokens; the user must sign in again.`}
                  confirmLabel="End session"
                  destructive
                  onConfirm={() => revoke(s)}
                  trigger={<Button variant="danger" aria-label={`End session ${s.sessionId}`}>End</Button>}
                />
              ) : (
                '—'
              ),
          },
        ]}
      />
    </>
  );
}
