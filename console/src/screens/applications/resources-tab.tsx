import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, SelectField, TextField, useApiMutation } from '../../components';
import { ListTable } from './list-table';
import type { ApiResource, Application, Data } from './types';

const resourcesKey = (appId: string) => ['applications', appId, 'resources'];

const splitWords = (value: string) => value.split(/[\s,]+/).filter(Boolean);

/** RFC 8707 API resources: the audiences the application's clients may ask tokens for. */
export function ResourcesTab({ application }: { application: Application }) {
  const { can } = useAuth();
  const resources = useQuery({ queryKey: resourcesKey(application.id), queryFn: () => api<Data<ApiResource[]>>(`/applications/${application.id}/resources`).then((r) => r.data) });
  const [editing, setEditing] = useState<ApiResource | null>(null);
  const canUpdate = can('admin:app:update');
  const remove = (r: ApiResource) => api<void>(`/applications/${application.id}/resources/${r.id}`, { method: 'DELETE' }).then(() => resources.refetch()).then(() => undefined);

  return (
    <section aria-labelledby="resources-heading">
      <h2 id="resources-heading">API resources</h2>
      <p className="muted">A client names a resource with the <code>resource</code> parameter and gets an access token for that audience holding only the resource's scopes.</p>
      {resources.error ? <ErrorMessage error={resources.error} /> : null}
      {resources.data ? (
        <ListTable
          label="API resources"
          rows={resources.data}
          empty="No API resources yet."
          columns={[
            { key: 'name', header: 'Name', render: (r) => r.name },
            { key: 'indicator', header: 'Indicator', render: (r) => <code>{r.indicator}</code> },
            { key: 'scopes', header: 'Scopes', render: (r) => r.scopes.join(' ') || '—' },
            { key: 'format', header: 'Token format', render: (r) => r.accessTokenFormat.toUpperCase() },
            { key: 'ttl', header: 'Token lifetime', render: (r) => (r.accessTokenTtl === null ? 'System default' : `${r.accessTokenTtl} s`) },
            {
              key: 'actions',
              header: 'Actions',
              render: (r) =>
                canUpdate ? (
                  <div className="button-row">
                    <Button variant="secondary" onPress={() => setEditing(r)}>Edit {r.name}</Button>
                    <ConfirmDialog
                      title={`Delete API resource ${r.name}?`}
                      description={`New token requests naming ${r.indicator} will fail with invalid_target. Tokens already issued stay valid until they expire.`}
                      confirmLabel="Delete resource"
                      destructive
                      onConfirm={() => remove(r)}
                      trigger={<Button variant="danger">Delete {r.name}</Button>}
                    />
                  </div>
                ) : null,
            },
          ]}
        />
      ) : null}
      {canUpdate ? <ResourceForm key={editing?.id ?? 'new'} application={application} resource={editing ?? undefined} onDone={() => setEditing(null)} /> : null}
    </section>
  );
}

function ResourceForm({ application, resource, onDone }: { application: Application; resource?: ApiResource; onDone: () => void }) {
  const [indicator, setIndicator] = useState('');
  const [name, setName] = useState(resource?.name ?? '');
  const [scopes, setScopes] = useState(resource?.scopes.join(' ') ?? '');
  const [format, setFormat] = useState<string>(resource?.accessTokenFormat ?? 'jwt');
  const [ttl, setTtl] = useState(resource?.accessTokenTtl?.toString() ?? '');
  const save = useApiMutation(
    () => {
      const body = { name, scopes: splitWords(scopes), accessTokenFormat: format, accessTokenTtl: ttl.trim() ? Number(ttl) : null };
      return resource
        ? api<Data<ApiResource>>(`/applications/${application.id}/resources/${resource.id}`, { method: 'PUT', body })
        : api<Data<ApiResource>>(`/applications/${application.id}/resources`, { method: 'POST', body: { ...body, indicator } });
    },
    { invalidate: [resourcesKey(application.id)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.mutateAsync(undefined);
    if (!resource) {
      setIndicator('');
      setName('');
      setScopes('');
      setFormat('jwt');
      setTtl('');
    }
    onDone();
  };
  const title = resource ? `Edit API resource ${resource.name}` : 'New API resource';
  return (
    <form className="form section-form" aria-label={title} onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h3>{title}</h3>
      {resource ? null : (
        <TextField label="Indicator" name="indicator" value={indicator} onChange={setIndicator} isRequired description="An absolute https:// or urn: URI, unique across Porta. It is every token's audience and cannot change later." />
      )}
      <TextField label="Resource name" name="resourceName" value={name} onChange={setName} isRequired />
      <TextField label="Scopes" name="scopes" value={scopes} onChange={setScopes} description="Separated by spaces, e.g. invoices:read invoices:write. Not the OpenID scopes." />
      <SelectField
        label="Access token format"
        value={format}
        onChange={setFormat}
        options={[
          { value: 'jwt', label: 'JWT (RFC 9068, verifiable from the JWKS)' },
          { value: 'opaque', label: 'Opaque (introspection)' },
        ]}
      />
      <TextField label="Access token lifetime (seconds)" name="accessTokenTtl" type="number" value={ttl} onChange={setTtl} description="60–86400; empty uses the system access_token_ttl." />
      {save.error ? <ErrorMessage error={save.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !name.trim() || (!resource && !indicator.trim())}>{resource ? 'Save resource' : 'Add resource'}</Button>
        {resource ? <Button variant="secondary" onPress={onDone}>Cancel</Button> : null}
      </div>
    </form>
  );
}
