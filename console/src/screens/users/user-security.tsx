import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, DetailList, ErrorMessage, SecretReveal } from '../../components';
import { deletePasskey, disableTwoFactor, listPasskeys, regenerateRecoveryCodes, resetTwoFactor, twoFactorStatus, userKeys } from './api';
import { displayName, formatDate } from './format';
import type { User } from './types';
import { useRefreshUsers } from './use-action';

const METHOD_LABELS = { totp: 'Authenticator app', email: 'Code by e-mail' } as const;

export function UserSecurity({ user }: { user: User }) {
  return (
    <>
      <TwoFactorSection user={user} />
      <PasskeysSection user={user} />
    </>
  );
}

function TwoFactorSection({ user }: { user: User }) {
  const { can } = useAuth();
  const orgId = user.organizationId;
  const status = useQuery({ queryKey: userKeys.part(orgId, user.id, 'two-factor'), queryFn: () => twoFactorStatus(orgId, user.id) });
  const refresh = useRefreshUsers(orgId);
  const [codes, setCodes] = useState<string[] | null>(null);
  const name = displayName(user);
  const s = status.data;

  return (
    <section aria-labelledby="user-2fa-heading" className="card">
      <h2 id="user-2fa-heading">Two-factor authentication</h2>
      {status.isPending && <p role="status" className="notice-inline">Loading…</p>}
      {status.isError && <ErrorMessage error={status.error} />}
      {s && (
        <DetailList
          items={[
            { label: 'Enabled', value: s.enabled ? 'Yes' : 'No' },
            { label: 'Method', value: s.method ? METHOD_LABELS[s.method] : '—' },
            { label: 'Authenticator app', value: s.totpConfigured ? (s.totpVerified ? 'confirmed' : 'waiting for its first code') : 'not set up' },
            { label: 'Recovery codes left', value: String(s.recoveryCodesRemaining) },
            { label: 'Passkeys', value: String(s.passkeys) },
            { label: 'Organization policy', value: s.policy },
          ]}
        />
      )}
      {s?.enabled && can('admin:user:2fa') && (
        <div className="button-row">
          <ConfirmDialog
            title={`Reset two-factor authentication of ${name}?`}
            description="Deletes the authenticator secret, e-mailed codes and recovery codes. The user enrols again at the next sign-in where a second factor is required, and is told by e-mail."
            confirmLabel="Reset two-factor"
            destructive
            onConfirm={async () => { await resetTwoFactor(orgId, user.id); setCodes(null); await refresh(); }}
            trigger={<Button variant="danger">Reset two-factor</Button>}
          />
          <ConfirmDialog
            title={`Turn off two-factor authentication of ${name}?`}
            description="Deletes the authenticator secret, e-mailed codes and recovery codes and turns two-factor authentication off. The user is told by e-mail."
            confirmLabel="Turn off two-factor"
            destructive
            onConfirm={async () => { await disableTwoFactor(orgId, user.id); setCodes(null); await refresh(); }}
            trigger={<Button variant="danger">Turn off two-factor</Button>}
          />
          <ConfirmDialog
            title={`New recovery codes for ${name}?`}
            description="Replaces every recovery code with ten new ones, shown once. The earlier codes stop working and the user is told by e-mail."
            confirmLabel="Generate new codes"
            onConfirm={async () => { setCodes(await regenerateRecoveryCodes(orgId, user.id)); await refresh(); }}
            trigger={<Button variant="secondary">New recovery codes</Button>}
          />
        </div>
      )}
      {codes && <SecretReveal label="Recovery code list" secret={codes.join(' ')} />}
    </section>
  );
}

function PasskeysSection({ user }: { user: User }) {
  const { can } = useAuth();
  const orgId = user.organizationId;
  const passkeys = useQuery({ queryKey: userKeys.part(orgId, user.id, 'passkeys'), queryFn: () => listPasskeys(orgId, user.id) });
  const refresh = useRefreshUsers(orgId);
  const canDelete = can('admin:user:2fa');

  return (
    <section aria-labelledby="user-passkeys-heading" className="card">
      <h2 id="user-passkeys-heading">Passkeys</h2>
      {passkeys.isPending && <p role="status" className="notice-inline">Loading passkeys…</p>}
      {passkeys.isError && <ErrorMessage error={passkeys.error} />}
      {passkeys.data && passkeys.data.length === 0 && <p>No passkeys.</p>}
      {passkeys.data && passkeys.data.length > 0 && (
        <div className="table-wrap">
        <table className="simple-table">
          <caption className="visually-hidden">Passkeys of {displayName(user)}</caption>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Synced</th>{canDelete && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {passkeys.data.map((p) => {
              const label = p.name ?? 'Unnamed passkey';
              return (
                <tr key={p.id}>
                  <td>{label}</td>
                  <td>{formatDate(p.createdAt)}</td>
                  <td>{formatDate(p.lastUsedAt)}</td>
                  <td>{p.isBackedUp ? 'Yes' : 'No'}</td>
                  {canDelete && (
                    <td>
                      <ConfirmDialog
                        title={`Delete the passkey “${label}”?`}
                        description="It no longer signs in or serves as a second factor. The user is told by e-mail."
                        confirmLabel="Delete passkey"
                        destructive
                        onConfirm={async () => { await deletePasskey(orgId, user.id, p.id); await refresh(); }}
                        trigger={<Button variant="danger">Delete {label}</Button>}
                      />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
