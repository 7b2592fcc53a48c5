import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, SelectField } from '../../components';
import { assignRoles, listAppRoles, listUserRoles, removeRoles, userKeys } from './api';
import { ApplicationPicker, useApplicationNames } from './app-picker';
import { displayName } from './format';
import type { User } from './types';
import { useAction, useRefreshUsers } from './use-action';

/** The user's roles in every application; assigning and removing needs `role:assign`. */
export function UserRoles({ user }: { user: User }) {
  const { can } = useAuth();
  const orgId = user.organizationId;
  const roles = useQuery({ queryKey: userKeys.part(orgId, user.id, 'roles'), queryFn: () => listUserRoles(orgId, user.id) });
  const appName = useApplicationNames();
  const refresh = useRefreshUsers(orgId);
  const canAssign = can('admin:role:assign');

  return (
    <section aria-labelledby="user-roles-heading" className="card">
      <h2 id="user-roles-heading">Roles</h2>
      {roles.isPending && <p role="status" className="notice-inline">Loading roles…</p>}
      {roles.isError && <ErrorMessage error={roles.error} />}
      {roles.data && roles.data.length === 0 && <p>No roles.</p>}
      {roles.data && roles.data.length > 0 && (
        <div className="table-wrap">
        <table className="simple-table">
          <caption className="visually-hidden">Roles of {displayName(user)}</caption>
          <thead>
            <tr><th scope="col">Role</th><th scope="col">Slug</th><th scope="col">Application</th>{canAssign && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {roles.data.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td><code>{r.slug}</code></td>
                <td>{appName(r.applicationId)}</td>
                {canAssign && (
                  <td>
                    <ConfirmDialog
                      title={`Remove the role ${r.name}?`}
                      description={`${displayName(user)} loses the role ${r.slug} and what it permits at their next token.`}
                      confirmLabel="Remove role"
                      destructive
                      onConfirm={async () => {
                        await removeRoles(orgId, user.id, [r.id]);
                        await refresh();
                      }}
                      trigger={<Button variant="danger">Remove {r.name}</Button>}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {canAssign && <AssignRole user={user} heldIds={new Set((roles.data ?? []).map((r) => r.id))} />}
    </section>
  );
}

function AssignRole({ user, heldIds }: { user: User; heldIds: Set<string> }) {
  const [app, setApp] = useState('');
  const [roleId, setRoleId] = useState('');
  const refresh = useRefreshUsers(user.organizationId);
  const action = useAction();
  const appKey = app.trim();
  const roles = useQuery({ queryKey: ['application-roles', appKey], queryFn: () => listAppRoles(appKey), enabled: appKey.length > 0 });
  const available = (roles.data ?? []).filter((r) => !heldIds.has(r.id));

  return (
    <div className="form" role="group" aria-labelledby="assign-role-heading">
      <h3 id="assign-role-heading">Assign a role</h3>
      <ApplicationPicker value={app} onChange={(v) => { setApp(v); setRoleId(''); }} />
      {roles.isError && <ErrorMessage error={roles.error} />}
      {roles.data && available.length === 0 && <p>The user holds every role of this application.</p>}
      {available.length > 0 && (
        <SelectField
          label="Role"
          options={available.map((r) => ({ value: r.id, label: `${r.name} (${r.slug})` }))}
          value={roleId || null}
          onChange={setRoleId}
          placeholder="Choose a role"
        />
      )}
      {action.error !== null && <ErrorMessage error={action.error} />}
      <div className="button-row">
        <Button
          variant="primary"
          isDisabled={!roleId || action.isPending}
          onPress={() => void action.run(async () => {
            await assignRoles(user.organizationId, user.id, [roleId]);
            setRoleId('');
            await refresh();
          })}
        >
          Assign role
        </Button>
      </div>
    </div>
  );
}
