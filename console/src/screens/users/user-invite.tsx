import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Button, ErrorMessage, PageHeader, TextAreaField, TextField } from '../../components';
import { Link, useParams } from '../../router';
import { inviteUser, previewInvitation, userKeys, type InviteInput } from './api';
import { formatDate } from './format';
import type { InvitationPreview, InvitationResult } from './types';

/**
 * `/organizations/:orgId/users/invite`: the invitation e-mail previewed (rendered by the server, nothing
 * sent) before it is sent. Roles are assigned on the user's page after creation.
 */
export function UserInviteScreen() {
  const { orgId = '' } = useParams();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [givenName, setGivenName] = useState('');
  const [familyName, setFamilyName] = useState('');
  const [personalMessage, setPersonalMessage] = useState('');
  const [locale, setLocale] = useState('');
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [result, setResult] = useState<InvitationResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [isPending, setPending] = useState(false);

  const input = (): InviteInput => ({
    email: email.trim(),
    ...(givenName.trim() ? { givenName: givenName.trim() } : {}),
    ...(familyName.trim() ? { familyName: familyName.trim() } : {}),
    ...(personalMessage.trim() ? { personalMessage: personalMessage.trim() } : {}),
    ...(locale.trim() ? { locale: locale.trim() } : {}),
  });

  async function run(fn: () => Promise<void>) {
    setError(null);
    setPending(true);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  const showPreview = () => run(async () => setPreview(await previewInvitation(orgId, input())));
  const send = (e?: FormEvent) => {
    e?.preventDefault();
    return run(async () => {
      setResult(await inviteUser(orgId, input()));
      await queryClient.invalidateQueries({ queryKey: userKeys.list(orgId) });
    });
  };

  if (result) {
    return (
      <>
        <PageHeader title="Invitation sent" />
        <p role="status" className="notice-inline">
          {result.created ? 'The user was created and invited' : 'The user was invited again (earlier links no longer work)'}: {result.email}.
          The link is valid until {formatDate(result.expiresAt)}.
        </p>
        <p>
          <Link to={`/organizations/${orgId}/users/${result.userId}`}>Open the user</Link> ·{' '}
          <Link to={`/organizations/${orgId}/users`}>Back to users</Link>
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Invite user" description="Sends an e-mail with a link to set up the account. An existing user without a password is invited again." />
      <form onSubmit={send} className="form" aria-label="Invite user" noValidate>
        <TextField label="E-mail" name="email" type="email" value={email} onChange={setEmail} isRequired />
        <TextField label="Given name" name="givenName" value={givenName} onChange={setGivenName} />
        <TextField label="Family name" name="familyName" value={familyName} onChange={setFamilyName} />
        <TextAreaField label="Personal message" name="personalMessage" value={personalMessage} onChange={setPersonalMessage} description="Optional, up to 500 characters; shown in the e-mail." />
        <TextField label="Language of the e-mail" name="locale" value={locale} onChange={setLocale} description="Optional, e.g. en or de. Default: the user's or the organization's language." />
        {error !== null && <ErrorMessage error={error} />}
        <div className="button-row">
          <Button variant="secondary" isDisabled={isPending} onPress={() => void showPreview()}>Preview e-mail</Button>
          <Button type="submit" variant="primary" isDisabled={isPending}>Send invitation</Button>
          <Link to={`/organizations/${orgId}/users`}>Cancel</Link>
        </div>
      </form>
      {preview && (
        <section aria-labelledby="invite-preview-heading" className="card">
          <h2 id="invite-preview-heading">Preview: {preview.subject}</h2>
          {/* sandbox without tokens: the e-mail's HTML runs no script and cannot reach the console. */}
          <iframe title="Invitation e-mail (HTML)" sandbox="" srcDoc={preview.html} className="email-preview" />
          <p className="field-description">The text and links are as sent; the console&apos;s security policy leaves out the e-mail&apos;s inline styles, so a mail client shows it with its fonts and colours.</p>
          <details>
            <summary>Plain-text version</summary>
            <pre className="email-preview-text">{preview.text}</pre>
          </details>
        </section>
      )}
    </>
  );
}
