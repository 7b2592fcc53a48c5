import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { useAuth } from '../auth/session';
import { Badge } from '../components/badge';
import { Button } from '../components/button';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorMessage } from '../components/error-message';
import { SelectField } from '../components/form';
import { PageHeader } from '../components/page-header';
import { useApiMutation } from '../components/use-api-mutation';

export interface SigningKey {
  id: string;
  kid: string;
  algorithm: 'RS256' | 'ES256';
  status: 'active' | 'retired' | 'revoked';
  activatedAt: string | null;
  retiredAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

const QUERY_KEY = ['keys'] as const;
const ALGORITHMS = [
  { value: 'RS256', label: 'RS256 (RSA 2048; also signs PS256)' },
  { value: 'ES256', label: 'ES256 (P-256)' },
];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** `/keys`: the shared signing key set: list, generate, rotate, revoke. */
export function SigningKeysScreen() {
  const { can } = useAuth();
  const [algorithm, setAlgorithm] = useState('RS256');
  const [notice, setNotice] = useState<string | null>(null);
  const query = useQuery({ queryKey: QUERY_KEY, queryFn: () => api<{ data: SigningKey[] }>('/keys').then((r) => r.data) });
  const generate = useApiMutation(
    () => api<{ data: { kid: string; message: string } }>('/keys/generate', { method: 'POST', body: { algorithm } }),
    { invalidate: [QUERY_KEY], onSuccess: (r) => setNotice(r.data.message) },
  );
  const refresh = () => query.refetch();
  const canRotate = can('admin:key:rotate');
  const keys = query.data ?? [];
  return (
    <>
      <PageHeader
        title="Signing keys"
        description="One key set signs the tokens of every organization. The newest active key of each algorithm signs; older active and retired keys still verify; revoked keys do neither."
      />
      {can('admin:key:generate') || canRotate ? (
        <section className="card key-actions" aria-labelledby="key-actions-title">
          <h2 id="key-actions-title">Generate or rotate</h2>
          <div className="inline-form">
            <SelectField label="Algorithm" options={ALGORITHMS} value={algorithm} onChange={setAlgorithm} />
            {can('admin:key:generate') ? (
              <Button variant="primary" onPress={() => { setNotice(null); generate.mutate(); }} isPending={generate.isPending}>Generate {algorithm} key</Button>
            ) : null}
            {canRotate ? (
              <ConfirmDialog
                title={`Rotate ${algorithm} keys`}
                description={<p>Every active {algorithm} key except the newest is retired: it stops signing but still verifies tokens it signed. Rotate only after the longest token lifetime has passed since the newest key was generated.</p>}
                confirmLabel="Rotate"
                onConfirm={async () => {
                  const r = await api<{ data: { message: string } }>('/keys/rotate', { method: 'POST', body: { algorithm } });
                  setNotice(r.data.message);
                  await refresh();
                }}
                trigger={<Button>Rotate {algorithm} keys</Button>}
              />
            ) : null}
          </div>
          <ErrorMessage error={generate.error} />
          {notice ? <p role="status" className="notice-inline">{notice}</p> : null}
        </section>
      ) : null}
      <ErrorMessage error={query.error} />
      {query.isPending ? <p aria-busy="true">Loading keys…</p> : null}
      <div className="table-wrap">
        <table className="simple-table keys-table">
          <caption className="visually-hidden">Signing keys, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Key id (kid)</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Retired / revoked</th>
              {canRotate ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <th scope="row"><code>{key.kid}</code></th>
                <td>{key.algorithm}</td>
                <td><Badge>{key.status}</Badge></td>
                <td>{when(key.createdAt)}</td>
                <td>{when(key.revokedAt ?? key.retiredAt)}</td>
                {canRotate ? (
                  <td>
                    {key.status === 'revoked' ? null : (
                      <ConfirmDialog
                        title={`Revoke key ${key.kid}`}
                        description={<p>Revoking the {key.algorithm} key <code>{key.kid}</code> makes every token it signed fail verification at once. This cannot be undone.</p>}
                        confirmLabel="Revoke key"
                        destructive
                        onConfirm={async () => {
                          await api(`/keys/${encodeURIComponent(key.kid)}/revoke`, { method: 'POST' });
                          setNotice(`Revoked ${key.algorithm} key ${key.kid}.`);
                          await refresh();
                        }}
                        trigger={<Button variant="danger" aria-label={`Revoke key ${key.kid}`}>Revoke</Button>}
                      />
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
