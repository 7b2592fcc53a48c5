import { useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, TextField } from '../../components';
import { changeStatus, clearPassword, setPassword, verifyEmail, type StatusAction } from './api';
import { STATUS_LABELS, displayName, formatDate } from './format';
import type { User, UserStatus } from './types';
import { useAction, useRefreshUsers } from './use-action';

interface Transition {
  action: StatusAction;
  label: string;
  description: string;
  isDestructive: boolean;
  hasReason: boolean;
}

/** The API's status machine (docs/admin-api/users.md#status-changes): what each status may become. */
const TRANSITIONS: Record<UserStatus, Transition[]> = {
  active: [
    { action: 'suspend', label: 'Suspend', description: 'The user can no longer sign in; every session, grant and token ends now.', isDestructive: true, hasReason: true },
    { action: 'lock', label: 'Lock', description: 'An admin lock never lifts by itself; every session, grant and token ends now.', isDestructive: true, hasReason: true },
    { action: 'deactivate', label: 'Deactivate', description: 'The user can no longer sign in; every session, grant and token ends now.', isDestructive: true, hasReason: false },
  ],
  inactive: [{ action: 'reactivate', label: 'Reactivate', description: 'The user can sign in again. Ended sessions do not come back.', isDestructive: false, hasReason: false }],
  suspended: [{ action: 'unsuspend', label: 'Unsuspend', description: 'The user can sign in again. Ended sessions do not come back.', isDestructive: false, hasReason: false }],
  locked: [{ action: 'unlock', label: 'Unlock', description: 'The user can sign in again and the failed sign-in counter goes back to 0.', isDestructive: false, hasReason: false }],
};

export function UserAccess({ user }: { user: User }) {
  const { can } = useAuth();
  return (
    <>
      <StatusSection user={user} canChange={can('admin:user:suspend')} />
      {can('admin:user:update') && <PasswordSection user={user} />}
    </>
  );
}

function StatusSection({ user, canChange }: { user: User; canChange: boolean }) {
  const refresh = useRefreshUsers(user.organizationId);
  const [reason, setReason] = useState('');
  const transitions = TRANSITIONS[user.status];
  const name = displayName(user);
  return (
    <section aria-labelledby="user-status-heading" className="card">
      <h2 id="user-status-heading">Status: {STATUS_LABELS[user.status]}</h2>
      {user.status === 'locked' && (
        <p>Locked {formatDate(user.lockedAt)}{user.lockedReason ? ` (${user.lockedReason === 'auto_lockout' ? 'too many failed sign-ins' : user.lockedReason})` : ''}.</p>
      )}
      {user.status === 'active' && user.failedLoginCount > 0 && <p>{user.failedLoginCount} failed sign-ins since the last success.</p>}
      {canChange && (
        <>
          {transitions.some((t) => t.hasReason) && (
            <TextField label="Reason (for suspend or lock)" name="reason" value={reason} onChange={setReason} description="Optional, up to 500 characters; recorded in the audit log." />
          )}
          <div className="button-row">
            {transitions.map((t) => (
              <ConfirmDialog
                key={t.action}
                title={`${t.label} ${name}?`}
                description={t.description}
                confirmLabel={t.label}
                destructive={t.isDestructive}
                onConfirm={async () => {
                  await changeStatus(user.organizationId, user.id, t.action, t.hasReason ? reason.trim() || undefined : undefined);
                  setReason('');
                  await refresh();
                }}
                trigger={<Button variant={t.isDestructive ? 'danger' : 'primary'}>{t.label}</Button>}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function PasswordSection({ user }: { user: User }) {
  const refresh = useRefreshUsers(user.organizationId);
  const [password, setNewPassword] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const verify = useAction();

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    setDone(null);
    const ok = await action.run(async () => {
      await setPassword(user.organizationId, user.id, password);
      await refresh();
    });
    if (ok) {
      setNewPassword('');
      setDone('Password set. The user\'s sessions ended and they were told by e-mail.');
    }
  }

  return (
    <section aria-labelledby="user-password-heading" className="card">
      <h2 id="user-password-heading">Password and e-mail</h2>
      <form onSubmit={submit} className="form" aria-label="Set password" noValidate>
        <TextField
          label="New password"
          name="newPassword"
          type="password"
          value={password}
          onChange={setNewPassword}
          description="8–128 characters under the password policy. Setting it ends every session, grant and token of the user."
        />
        {action.error !== null && <ErrorMessage error={action.error} />}
        {done && <p role="status" className="notice-inline">{done}</p>}
        <div className="button-row">
          <Button type="submit" variant="primary" isDisabled={action.isPending || password.length === 0}>Set password</Button>
          {user.hasPassword && (
            <ConfirmDialog
              title={`Remove the password of ${displayName(user)}?`}
              description="The user then signs in by magic link only; every session, grant and token ends now."
              confirmLabel="Remove password"
              destructive
              onConfirm={async () => {
                await clearPassword(user.organizationId, user.id);
                await refresh();
              }}
              trigger={<Button variant="danger">Remove password</Button>}
            />
          )}
        </div>
      </form>
      {!user.emailVerified && (
        <div className="button-row">
          <Button variant="secondary" isDisabled={verify.isPending} onPress={() => void verify.run(async () => { await verifyEmail(user.organizationId, user.id); await refresh(); })}>
            Mark e-mail as verified
          </Button>
          {verify.error !== null && <ErrorMessage error={verify.error} />}
        </div>
      )}
    </section>
  );
}
