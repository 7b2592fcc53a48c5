import { useState } from 'react';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, DetailList, ErrorMessage, TextField, useApiMutation } from '../../components';
import { useNavigate } from '../../router';
import { STATUS_LABELS, destroyOrganization, orgKeys, transition, type CascadeCounts, type Organization, type Transition } from './api';

const COUNT_LABELS: Record<keyof CascadeCounts, string> = {
  users: 'Users',
  clients: 'Clients',
  roleAssignments: 'Role assignments',
  claimValues: 'Claim values',
  brandingAssets: 'Branding files',
  sessions: 'Active sessions',
};

/** Status changes (spec 20 §5.1) and destroying the organization for good, each confirmed by name. */
export function LifecycleTab({ org }: { org: Organization }) {
  const { can } = useAuth();
  const [reason, setReason] = useState('');
  const invalidate = { invalidate: [orgKeys.one(org.id), orgKeys.all] };
  const change = useApiMutation((v: { action: Transition; reason?: string }) => transition(org.id, v.action, v.reason), invalidate);

  if (org.isSuperAdmin) {
    return <p>The admin organization is never suspended, archived or destroyed: Porta is administered through it.</p>;
  }
  const act = (action: Transition) => () => change.mutateAsync({ action, reason: action === 'suspend' ? reason.trim() || undefined : undefined });
  return (
    <div className="stack">
      <DetailList items={[{ label: 'Status', value: STATUS_LABELS[org.status] }]} />
      {change.error ? <ErrorMessage error={change.error} /> : null}
      {org.status === 'active' && can('admin:org:suspend') ? (
        <section aria-label="Suspend" className="stack">
          <TextField label="Reason for suspending (optional)" name="reason" value={reason} onChange={setReason} description="Recorded in the audit log; at most 500 characters." />
          <ConfirmDialog
            title={`Suspend ${org.name}?`}
            description={`Nobody can sign in to ${org.name} (${org.slug}) while it is suspended. Its data stays; activating it again restores sign-in.`}
            confirmLabel="Suspend organization"
            destructive
            onConfirm={act('suspend')}
            trigger={<Button variant="danger">Suspend</Button>}
          />
        </section>
      ) : null}
      {org.status === 'suspended' && can('admin:org:suspend') ? (
        <ConfirmDialog
          title={`Activate ${org.name}?`}
          description={`Users of ${org.name} (${org.slug}) can sign in again.`}
          confirmLabel="Activate organization"
          onConfirm={act('activate')}
          trigger={<Button variant="primary">Activate</Button>}
        />
      ) : null}
      {org.status !== 'archived' && can('admin:org:archive') ? (
        <ConfirmDialog
          title={`Archive ${org.name}?`}
          description={`${org.name} (${org.slug}) stops answering: its issuer, pages and branding files return 404 until it is restored. Its data stays.`}
          confirmLabel="Archive organization"
          destructive
          onConfirm={act('archive')}
          trigger={<Button variant="danger">Archive</Button>}
        />
      ) : null}
      {org.status === 'archived' && can('admin:org:archive') ? (
        <ConfirmDialog
          title={`Restore ${org.name}?`}
          description={`${org.name} (${org.slug}) becomes active again.`}
          confirmLabel="Restore organization"
          onConfirm={act('restore')}
          trigger={<Button variant="primary">Restore</Button>}
        />
      ) : null}
      {can('admin:org:archive') ? <DestroySection org={org} /> : null}
    </div>
  );
}

/** A dry run first, so the confirmation names what goes with the organization. */
function DestroySection({ org }: { org: Organization }) {
  const navigate = useNavigate();
  const [counts, setCounts] = useState<CascadeCounts | null>(null);
  const dryRun = useApiMutation(() => destroyOrganization(org.id, true), { invalidate: [] });
  const destroy = useApiMutation(() => destroyOrganization(org.id, false), { invalidate: [orgKeys.all] });
  const describe = (c: CascadeCounts) =>
    (Object.keys(COUNT_LABELS) as (keyof CascadeCounts)[]).map((k) => `${c[k]} ${COUNT_LABELS[k].toLowerCase()}`).join(', ');
  return (
    <section aria-label="Destroy" className="danger-zone stack">
      <h3>Destroy organization</h3>
      <p>Deletes {org.name} for good with everything it holds. Audit entries stay.</p>
      {dryRun.error ? <ErrorMessage error={dryRun.error} /> : null}
      {counts ? (
        <>
          <DetailList items={(Object.keys(COUNT_LABELS) as (keyof CascadeCounts)[]).map((k) => ({ label: COUNT_LABELS[k], value: String(counts[k]) }))} />
          <ConfirmDialog
            title={`Destroy ${org.name} for good?`}
            description={`This deletes the organization ${org.name} (${org.slug}) and ${describe(counts)}. Active sessions end now. This cannot be undone.`}
            confirmLabel="Destroy organization"
            destructive
            typeToConfirm={org.slug}
            onConfirm={async () => {
              await destroy.mutateAsync();
              navigate('/organizations');
            }}
            trigger={<Button variant="danger">Destroy…</Button>}
          />
        </>
      ) : (
        <Button variant="secondary" isDisabled={dryRun.isPending} onPress={() => void dryRun.mutateAsync().then((r) => setCounts(r.cascadeCounts), () => undefined)}>
          Show what would be destroyed
        </Button>
      )}
    </section>
  );
}
