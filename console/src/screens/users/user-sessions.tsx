import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage } from '../../components';
import { listSessions, revokeAllSessions, revokeSession, userKeys } from './api';
import { displayName, formatDate } from './format';
import type { User } from './types';
import { useRefreshUsers } from './use-action';

/** The user's active tracked sessions (page by page, as the sessions API pages), ended one or all at a time. */
export function UserSessions({ user }: { user: User }) {
  const { can } = useAuth();
  const orgId = user.organizationId;
  const [page, setPage] = useState(1);
  const [ended, setEnded] = useState<number | null>(null);
  const sessions = useQuery({ queryKey: userKeys.part(orgId, user.id, `sessions:${page}`), queryFn: () => listSessions(orgId, user.id, page) });
  const refresh = useRefreshUsers(orgId);
  const canRevoke = can('admin:session:revoke');
  const totalPages = sessions.data ? Math.max(1, Math.ceil(sessions.data.total / sessions.data.pageSize)) : 1;

  return (
    <section aria-labelledby="user-sessions-heading" className="card">
      <h2 id="user-sessions-heading">Active sessions</h2>
      {ended !== null && <p role="status" className="notice-inline">{ended === 1 ? '1 session ended.' : `${ended} sessions ended.`}</p>}
      {sessions.isPending && <p role="status" className="notice-inline">Loading sessions…</p>}
      {sessions.isError && <ErrorMessage error={sessions.error} />}
      {sessions.data && sessions.data.data.length === 0 && <p>No active sessions.</p>}
      {sessions.data && sessions.data.data.length > 0 && (
        <div className="table-wrap">
        <table className="simple-table">
          <caption className="visually-hidden">Active sessions of {displayName(user)}</caption>
          <thead>
            <tr>
              <th scope="col">Started</th><th scope="col">Last activity</th><th scope="col">Expires</th><th scope="col">IP address</th><th scope="col">Browser</th>
              {canRevoke && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {sessions.data.data.map((s) => (
              <tr key={s.sessionId}>
                <td>{formatDate(s.createdAt)}</td>
                <td>{formatDate(s.lastActivityAt)}</td>
                <td>{formatDate(s.expiresAt)}</td>
                <td>{s.ipAddress ?? '—'}</td>
                <td title={s.userAgent ?? undefined}>{s.userAgent ?? '—'}</td>
                {canRevoke && (
                  <td>
                    <ConfirmDialog
                      title="End this session?"
                      description={`The session started ${formatDate(s.createdAt)} from ${s.ipAddress ?? 'an unknown address'} ends now, with a logout at every application of it.`}
                      confirmLabel="End session"
                      destructive
                      onConfirm={async () => { await revokeSession(s.sessionId); setEnded(1); await refresh(); }}
                      trigger={<Button variant="danger">End session</Button>}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {totalPages > 1 && (
        <nav aria-label="Session pages" className="pager">
          <Button variant="secondary" isDisabled={page <= 1} onPress={() => setPage(page - 1)}>Previous</Button>
          <span>Page {page} of {totalPages}</span>
          <Button variant="secondary" isDisabled={page >= totalPages} onPress={() => setPage(page + 1)}>Next</Button>
        </nav>
      )}
      {canRevoke && sessions.data && sessions.data.total > 0 && (
        <div className="button-row">
          <ConfirmDialog
            title={`End every session of ${displayName(user)}?`}
            description="Every active session of the user ends now, with a logout at each application."
            confirmLabel="End all sessions"
            destructive
            onConfirm={async () => { setEnded(await revokeAllSessions(user.id)); setPage(1); await refresh(); }}
            trigger={<Button variant="danger">End all sessions</Button>}
          />
        </div>
      )}
    </section>
  );
}
