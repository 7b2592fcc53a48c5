import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, CheckboxField, ConfirmDialog, ErrorMessage, SelectField, TextAreaField, TextField, useApiMutation } from '../../components';
import { ListTable } from './list-table';
import type { Application, ClaimDefinition, ClaimType, Data } from './types';

const claimsKey = (appId: string) => ['applications', appId, 'claims'];
const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

/** Custom claim definitions: values are set per user (user screens); tokens carry those of the client's application. */
export function ClaimsTab({ application, isReadOnly }: { application: Application; isReadOnly: boolean }) {
  const { can } = useAuth();
  const claims = useQuery({ queryKey: claimsKey(application.id), queryFn: () => api<Data<ClaimDefinition[]>>(`/applications/${application.id}/claims`).then((r) => r.data) });
  const [editing, setEditing] = useState<ClaimDefinition | null>(null);
  const canCreate = can('admin:claim:create') && !isReadOnly;
  const canUpdate = can('admin:claim:update') && !isReadOnly;
  const canDelete = can('admin:claim:archive') && !isReadOnly;
  const remove = (c: ClaimDefinition) => api<void>(`/applications/${application.id}/claims/${c.id}`, { method: 'DELETE' }).then(() => claims.refetch()).then(() => undefined);

  return (
    <section aria-labelledby="claims-heading">
      <h2 id="claims-heading">Custom claims</h2>
      {claims.error ? <ErrorMessage error={claims.error} /> : null}
      {claims.data ? (
        <ListTable
          label="Custom claims"
          rows={claims.data}
          empty="No custom claims yet."
          columns={[
            { key: 'name', header: 'Claim', render: (c) => <code>{c.claimName}</code> },
            { key: 'type', header: 'Type', render: (c) => c.claimType },
            { key: 'id', header: 'ID token', render: (c) => yesNo(c.includeInIdToken) },
            { key: 'access', header: 'Access token', render: (c) => yesNo(c.includeInAccessToken) },
            { key: 'userinfo', header: 'Userinfo', render: (c) => yesNo(c.includeInUserinfo) },
            { key: 'description', header: 'Description', render: (c) => c.description ?? '' },
            {
              key: 'actions',
              header: 'Actions',
              render: (c) => (
                <div className="button-row">
                  {canUpdate ? <Button variant="secondary" onPress={() => setEditing(c)}>Edit {c.claimName}</Button> : null}
                  {canDelete ? (
                    <ConfirmDialog
                      title={`Delete claim ${c.claimName}?`}
                      description={`The claim “${c.claimName}” is deleted together with every user's value for it.`}
                      confirmLabel="Delete claim"
                      destructive
                      onConfirm={() => remove(c)}
                      trigger={<Button variant="danger">Delete {c.claimName}</Button>}
                    />
                  ) : null}
                </div>
              ),
            },
          ]}
        />
      ) : null}
      {editing && canUpdate ? <ClaimForm key={editing.id} application={application} claim={editing} onDone={() => setEditing(null)} /> : null}
      {!editing && canCreate ? <ClaimForm key="new" application={application} onDone={() => undefined} /> : null}
    </section>
  );
}

function ClaimForm({ application, claim, onDone }: { application: Application; claim?: ClaimDefinition; onDone: () => void }) {
  const [claimName, setClaimName] = useState('');
  const [claimType, setClaimType] = useState<string>('string');
  const [description, setDescription] = useState(claim?.description ?? '');
  const [inId, setInId] = useState(claim?.includeInIdToken ?? false);
  const [inAccess, setInAccess] = useState(claim?.includeInAccessToken ?? true);
  const [inUserinfo, setInUserinfo] = useState(claim?.includeInUserinfo ?? true);
  const save = useApiMutation(
    () => {
      const flags = { description: description.trim() ? description : null, includeInIdToken: inId, includeInAccessToken: inAccess, includeInUserinfo: inUserinfo };
      return claim
        ? api<Data<ClaimDefinition>>(`/applications/${application.id}/claims/${claim.id}`, { method: 'PUT', body: flags })
        : api<Data<ClaimDefinition>>(`/applications/${application.id}/claims`, { method: 'POST', body: { ...flags, claimName, claimType: claimType as ClaimType } });
    },
    { invalidate: [claimsKey(application.id)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.mutateAsync(undefined);
    if (!claim) {
      setClaimName('');
      setDescription('');
    }
    onDone();
  };
  const title = claim ? `Edit claim ${claim.claimName}` : 'New claim';
  return (
    <form className="form section-form" aria-label={title} onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h3>{title}</h3>
      {claim ? null : (
        <>
          <TextField label="Claim name" name="claimName" value={claimName} onChange={setClaimName} isRequired description="Lowercase letters, digits and underscores, starting with a letter; not a standard claim. Fixed once created." />
          <SelectField
            label="Claim type"
            value={claimType}
            onChange={setClaimType}
            options={[
              { value: 'string', label: 'String' },
              { value: 'number', label: 'Number' },
              { value: 'boolean', label: 'Boolean' },
              { value: 'json', label: 'JSON (object or array)' },
            ]}
          />
        </>
      )}
      <TextAreaField label="Claim description" name="claimDescription" value={description} onChange={setDescription} />
      <CheckboxField label="Include in the ID token" isSelected={inId} onChange={setInId} />
      <CheckboxField label="Include in access tokens (introspection)" isSelected={inAccess} onChange={setInAccess} />
      <CheckboxField label="Include in userinfo" isSelected={inUserinfo} onChange={setInUserinfo} />
      {save.error ? <ErrorMessage error={save.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || (!claim && !claimName.trim())}>{claim ? 'Save claim' : 'Add claim'}</Button>
        {claim ? <Button variant="secondary" onPress={onDone}>Cancel</Button> : null}
      </div>
    </form>
  );
}
