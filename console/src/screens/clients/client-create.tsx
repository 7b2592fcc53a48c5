import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { Link, useSearchParam } from '../../router';
import { Button, ErrorMessage, PageHeader, SecretReveal, SelectField, TextField, useApiMutation } from '../../components';
import { ClientSettingsFields, defaultSettings, settingsBody, type ClientSettings } from './client-form';
import { ApplicationPicker, OrganizationPicker } from './pickers';
import type { Client, CreatedSecret, Data } from './types';

/** `/clients/new`: a confidential client's first secret is shown once, right here. */
export function ClientCreateScreen() {
  const [initialOrg] = useSearchParam('org');
  const [organizationId, setOrganizationId] = useState<string | null>(initialOrg);
  const [applicationId, setApplicationId] = useState<string | null>(null);
  const [clientType, setClientType] = useState<'confidential' | 'public'>('confidential');
  const [settings, setSettings] = useState<ClientSettings>(defaultSettings('confidential'));
  const [secretLabel, setSecretLabel] = useState('');
  const [created, setCreated] = useState<{ client: Client; secret: CreatedSecret | null } | null>(null);
  const create = useApiMutation(
    () =>
      api<Data<{ client: Client; secret: CreatedSecret | null }>>('/clients', {
        method: 'POST',
        body: { organizationId, applicationId, clientType, ...settingsBody(settings), ...(clientType === 'confidential' && secretLabel.trim() ? { secretLabel: secretLabel.trim() } : {}) },
      }),
    { invalidate: [['clients']] },
  );

  const changeType = (type: string) => {
    const next = type === 'public' ? 'public' : 'confidential';
    setClientType(next);
    setSettings({ ...defaultSettings(next, next === 'public' && settings.applicationType === 'web' ? 'spa' : settings.applicationType === 'spa' ? 'web' : settings.applicationType), clientName: settings.clientName, redirectUris: settings.redirectUris, postLogoutRedirectUris: settings.postLogoutRedirectUris });
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create.mutateAsync(undefined);
    setCreated(data);
  };

  if (created) {
    return (
      <>
        <PageHeader title={`Client ${created.client.clientName} created`} />
        <p>
          Client ID: <code>{created.client.clientId}</code>
        </p>
        {created.secret ? <SecretReveal label="Client secret" secret={created.secret.plaintext} /> : <p>This client has no secret ({created.client.tokenEndpointAuthMethod}).</p>}
        <p>
          <Link to={`/clients/${created.client.id}`} className="button button-primary">Open client</Link>
        </p>
      </>
    );
  }
  const isMissingPlace = !organizationId || !applicationId;
  return (
    <>
      <PageHeader title="New client" />
      <form className="form" aria-label="New client" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <OrganizationPicker value={organizationId} onChange={setOrganizationId} />
        <ApplicationPicker value={applicationId} onChange={setApplicationId} description="Only active applications accept new clients." />
        <SelectField
          label="Client type"
          value={clientType}
          onChange={changeType}
          options={[
            { value: 'confidential', label: 'Confidential (has a secret or key)' },
            { value: 'public', label: 'Public (browser or native app, PKCE)' },
          ]}
        />
        <ClientSettingsFields clientType={clientType} value={settings} onChange={setSettings} />
        {clientType === 'confidential' && settings.tokenEndpointAuthMethod !== 'private_key_jwt' ? (
          <TextField label="First secret's label" name="secretLabel" value={secretLabel} onChange={setSecretLabel} />
        ) : null}
        {create.error ? <ErrorMessage error={create.error} /> : null}
        <div className="button-row">
          <Button variant="primary" type="submit" isDisabled={create.isPending || isMissingPlace || !settings.clientName.trim()}>Create client</Button>
        </div>
      </form>
    </>
  );
}
