import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Button, CheckboxField, ErrorMessage, PageHeader, SelectField, TextField } from '../../components';
import { Link, useNavigate, useParams } from '../../router';
import { createUser, userKeys } from './api';

/** `/organizations/:orgId/users/new`: a user with an optional password (without one: magic link or invitation). */
export function UserCreateScreen() {
  const { orgId = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [givenName, setGivenName] = useState('');
  const [familyName, setFamilyName] = useState('');
  const [password, setPassword] = useState('');
  const [status, setStatus] = useState('active');
  const [emailVerified, setEmailVerified] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [isPending, setPending] = useState(false);

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    setError(null);
    setPending(true);
    try {
      const user = await createUser(orgId, {
        email: email.trim(),
        ...(password ? { password } : {}),
        ...(givenName.trim() ? { givenName: givenName.trim() } : {}),
        ...(familyName.trim() ? { familyName: familyName.trim() } : {}),
        status,
        emailVerified,
      });
      await queryClient.invalidateQueries({ queryKey: userKeys.list(orgId) });
      navigate(`/organizations/${orgId}/users/${user.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <PageHeader title="Create user" description="The e-mail address is unique in the organization and cannot be changed later." />
      <form onSubmit={submit} className="form" aria-label="Create user" noValidate>
        <TextField label="E-mail" name="email" type="email" value={email} onChange={setEmail} isRequired />
        <TextField label="Given name" name="givenName" value={givenName} onChange={setGivenName} />
        <TextField label="Family name" name="familyName" value={familyName} onChange={setFamilyName} />
        <TextField
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          description="Optional, 8–128 characters, checked against the password policy. Without one the user signs in by magic link or an invitation."
        />
        <SelectField label="Status" options={[{ value: 'active', label: 'Active' }, { value: 'inactive', label: 'Inactive' }]} value={status} onChange={setStatus} />
        <CheckboxField label="E-mail address already verified" isSelected={emailVerified} onChange={setEmailVerified} />
        {error !== null && <ErrorMessage error={error} />}
        <div className="button-row">
          <Button type="submit" variant="primary" isDisabled={isPending}>Create user</Button>
          <Link to={`/organizations/${orgId}/users`}>Cancel</Link>
        </div>
      </form>
    </>
  );
}
