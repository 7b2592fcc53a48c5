import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, TextField } from '../../components';
import { deleteClaimValue, listAppClaims, listUserClaimValues, setClaimValue, userKeys } from './api';
import { ApplicationPicker } from './app-picker';
import type { ClaimDefinition, ClaimValue, User } from './types';
import { useAction } from './use-action';

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Turns typed text into the claim's JSON type; the API checks the type again (`claim_type_mismatch`). */
function parseValue(claim: ClaimDefinition, text: string): unknown {
  switch (claim.claimType) {
    case 'string':
      return text;
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(n)) throw new Error(`${claim.claimName} needs a number.`);
      return n;
    }
    case 'boolean':
      if (text.trim() !== 'true' && text.trim() !== 'false') throw new Error(`${claim.claimName} needs true or false.`);
      return text.trim() === 'true';
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${claim.claimName} needs valid JSON.`);
      }
  }
}

/** Custom claim values of the user, one application at a time. */
export function UserClaims({ user }: { user: User }) {
  const [app, setApp] = useState('');
  const appKey = app.trim();
  const definitions = useQuery({ queryKey: ['application-claims', appKey], queryFn: () => listAppClaims(appKey), enabled: appKey.length > 0 });
  const values = useQuery({
    queryKey: userKeys.part(user.organizationId, user.id, `claims:${appKey}`),
    queryFn: () => listUserClaimValues(appKey, user.id),
    enabled: appKey.length > 0,
  });

  return (
    <section aria-labelledby="user-claims-heading" className="card">
      <h2 id="user-claims-heading">Custom claims</h2>
      <ApplicationPicker value={app} onChange={setApp} />
      {(definitions.isError || values.isError) && <ErrorMessage error={definitions.error ?? values.error} />}
      {definitions.data && definitions.data.length === 0 && <p>This application defines no custom claims.</p>}
      {definitions.data && values.data && definitions.data.map((d) => (
        <ClaimRow key={d.id} app={appKey} user={user} claim={d} value={values.data.find((v) => v.claimId === d.id) ?? null} />
      ))}
    </section>
  );
}

function ClaimRow({ app, user, claim, value }: { app: string; user: User; claim: ClaimDefinition; value: ClaimValue | null }) {
  const { can } = useAuth();
  const [text, setText] = useState(value ? shown(value.value) : '');
  const action = useAction();
  const refetch = useQueryRefetch(user, app);
  const label = `${claim.claimName} (${claim.claimType})`;

  if (!can('admin:claim:update')) {
    return <p><strong>{label}:</strong> {value ? shown(value.value) : 'not set'}</p>;
  }
  return (
    <div className="card" role="group" aria-label={claim.claimName}>
      <TextField label={label} name={`claim-${claim.claimName}`} value={text} onChange={setText} description={claim.description ?? undefined} />
      {action.error !== null && <ErrorMessage error={action.error} />}
      <div className="button-row">
        <Button variant="primary" isDisabled={action.isPending} onPress={() => void action.run(async () => { await setClaimValue(app, claim.id, user.id, parseValue(claim, text)); await refetch(); })}>
          Save {claim.claimName}
        </Button>
        {value && (
          <ConfirmDialog
            title={`Remove the value of ${claim.claimName}?`}
            description="Tokens issued from now on leave this claim out."
            confirmLabel="Remove value"
            destructive
            onConfirm={async () => {
              await deleteClaimValue(app, claim.id, user.id);
              setText('');
              await refetch();
            }}
            trigger={<Button variant="danger">Remove {claim.claimName}</Button>}
          />
        )}
      </div>
    </div>
  );
}

function useQueryRefetch(user: User, app: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: userKeys.part(user.organizationId, user.id, `claims:${app}`) });
}
