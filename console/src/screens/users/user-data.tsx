import { useState } from 'react';
import { apiDownload } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, DetailList, ErrorMessage } from '../../components';
import { exportPath, purgeUser } from './api';
import { displayName } from './format';
import type { PurgeResult, User } from './types';
import { useAction, useRefreshUsers } from './use-action';

/** GDPR: the data export (Art. 20) as a download, and the irreversible purge (Art. 17). */
export function UserData({ user }: { user: User }) {
  const { can } = useAuth();
  const orgId = user.organizationId;
  const refresh = useRefreshUsers(orgId);
  const download = useAction();
  const [purged, setPurged] = useState<{ name: string; result: PurgeResult } | null>(null);

  return (
    <>
      <section aria-labelledby="user-export-heading" className="card">
        <h2 id="user-export-heading">Data export</h2>
        <p>Everything Porta holds about the user as one JSON file: profile, roles, claims, audit entries, second factors without secrets, passkeys and active grants. The export is recorded in the audit log.</p>
        {download.error !== null && <ErrorMessage error={download.error} />}
        <Button variant="secondary" isDisabled={download.isPending} onPress={() => void download.run(() => apiDownload(exportPath(orgId, user.id), `user-${user.id}-export.json`))}>
          Download data export
        </Button>
      </section>
      {can('admin:user:archive') && (
        <section aria-labelledby="user-purge-heading" className="card">
          <h2 id="user-purge-heading">Purge</h2>
          <p>Erases the user for good: grants, tokens, roles, claim values and second factors are deleted, the profile and password removed, the e-mail replaced and the audit entries about them stripped of personal data. This cannot be undone.</p>
          {purged ? (
            <div role="status">
              <p>{purged.name} was purged.</p>
              <DetailList
                items={[
                  { label: 'Anonymised e-mail', value: purged.result.anonymizedEmail },
                  { label: 'Roles removed', value: String(purged.result.deletedRoles) },
                  { label: 'Claim values removed', value: String(purged.result.deletedClaims) },
                  { label: 'Second factors removed', value: String(purged.result.deletedTwoFactor) },
                  { label: 'Grants and tokens removed', value: String(purged.result.deletedTokens) },
                  { label: 'Audit entries anonymised', value: String(purged.result.anonymizedAuditEntries) },
                ]}
              />
            </div>
          ) : (
            <ConfirmDialog
              title={`Purge ${user.email}?`}
              description={`This erases ${displayName(user)} (${user.email}) and cannot be undone. Type the e-mail address to confirm.`}
              confirmLabel="Purge user"
              destructive
              typeToConfirm={user.email}
              onConfirm={async () => {
                const name = `${displayName(user)} (${user.email})`;
                const result = await purgeUser(orgId, user.id);
                setPurged({ name, result });
                await refresh();
              }}
              trigger={<Button variant="danger">Purge user…</Button>}
            />
          )}
        </section>
      )}
    </>
  );
}
