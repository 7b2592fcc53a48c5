import { useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/session';
import { Button, CheckboxField, DetailList, ErrorMessage, TextField } from '../../components';
import { ApiError } from '../../api/client';
import { getUser, updateUser } from './api';
import { formatDate } from './format';
import type { User, UserAddress } from './types';
import { useAction, useRefreshUsers } from './use-action';

const TEXT_FIELDS = [
  ['givenName', 'Given name'],
  ['familyName', 'Family name'],
  ['middleName', 'Middle name'],
  ['nickname', 'Nickname'],
  ['preferredUsername', 'Preferred username'],
  ['phoneNumber', 'Phone number'],
  ['birthdate', 'Birthdate (YYYY-MM-DD)'],
  ['gender', 'Gender'],
  ['locale', 'Locale'],
  ['zoneinfo', 'Time zone'],
  ['profileUrl', 'Profile URL'],
  ['pictureUrl', 'Picture URL'],
  ['websiteUrl', 'Website URL'],
] as const;
type TextKey = (typeof TEXT_FIELDS)[number][0];

const ADDRESS_FIELDS = [
  ['street', 'Street'],
  ['locality', 'Locality'],
  ['region', 'Region'],
  ['postalCode', 'Postal code'],
  ['country', 'Country (two letters)'],
] as const;
type AddressKey = keyof UserAddress;

const textDraft = (u: User) => Object.fromEntries(TEXT_FIELDS.map(([k]) => [k, u[k] ?? ''])) as Record<TextKey, string>;
const addressDraft = (u: User) => Object.fromEntries(ADDRESS_FIELDS.map(([k]) => [k, u.address?.[k] ?? ''])) as Record<AddressKey, string>;

/** Only the changed fields are sent; an emptied field is sent as null (the API clears it). */
function changes(user: User, text: Record<TextKey, string>, address: Record<AddressKey, string>, flags: { emailVerified: boolean; phoneNumberVerified: boolean }) {
  const patch: Record<string, unknown> = {};
  for (const [k] of TEXT_FIELDS) if (text[k].trim() !== (user[k] ?? '')) patch[k] = text[k].trim() || null;
  if (ADDRESS_FIELDS.some(([k]) => address[k].trim() !== (user.address?.[k] ?? ''))) {
    patch.address = Object.fromEntries(ADDRESS_FIELDS.map(([k]) => [k, address[k].trim() || null]));
  }
  if (flags.emailVerified !== user.emailVerified) patch.emailVerified = flags.emailVerified;
  if (flags.phoneNumberVerified !== user.phoneNumberVerified) patch.phoneNumberVerified = flags.phoneNumberVerified;
  return patch;
}

export function UserProfile({ user, etag }: { user: User; etag: string | null }) {
  const { can } = useAuth();
  const canEdit = can('admin:user:update');
  const refresh = useRefreshUsers(user.organizationId);
  const [text, setText] = useState(() => textDraft(user));
  const [address, setAddress] = useState(() => addressDraft(user));
  const [emailVerified, setEmailVerified] = useState(user.emailVerified);
  const [phoneNumberVerified, setPhoneVerified] = useState(user.phoneNumberVerified);
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();

  const load = (u: User) => {
    setText(textDraft(u));
    setAddress(addressDraft(u));
    setEmailVerified(u.emailVerified);
    setPhoneVerified(u.phoneNumberVerified);
  };
  const isStale = action.error instanceof ApiError && action.error.code === 'precondition_failed';
  const reload = () =>
    void action.run(async () => {
      load((await getUser(user.organizationId, user.id)).user);
      await refresh();
    });

  async function save(e?: FormEvent) {
    e?.preventDefault();
    setSaved(null);
    const patch = changes(user, text, address, { emailVerified, phoneNumberVerified });
    if (Object.keys(patch).length === 0) {
      setSaved('Nothing changed.');
      return;
    }
    const ok = await action.run(async () => {
      await updateUser(user.organizationId, user.id, patch, etag);
      await refresh();
    });
    setSaved(ok ? 'Profile saved.' : null);
  }

  const facts = (
    <DetailList
      items={[
        { label: 'E-mail', value: `${user.email}${user.emailVerified ? ' (verified)' : ' (not verified)'}` },
        { label: 'Created', value: formatDate(user.createdAt) },
        { label: 'Last sign-in', value: `${formatDate(user.lastLoginAt)} (${user.loginCount} sign-ins)` },
        { label: 'Failed sign-ins', value: String(user.failedLoginCount) },
        { label: 'Password', value: user.hasPassword ? `set ${formatDate(user.passwordChangedAt)}` : 'none (magic link or invitation)' },
      ]}
    />
  );

  if (!canEdit) {
    return (
      <>
        {facts}
        <DetailList items={TEXT_FIELDS.map(([k, label]) => ({ label, value: user[k] ?? '—' }))} />
      </>
    );
  }

  return (
    <>
      {facts}
      <form onSubmit={save} className="form user-form" aria-label="Edit profile" noValidate>
        <div className="user-field-grid">
          {TEXT_FIELDS.map(([k, label]) => (
            <TextField key={k} label={label} name={k} value={text[k]} onChange={(v) => setText({ ...text, [k]: v })} />
          ))}
        </div>
        <fieldset>
          <legend>Address</legend>
          <div className="user-field-grid">
            {ADDRESS_FIELDS.map(([k, label]) => (
              <TextField key={k} label={label} name={`address.${k}`} value={address[k]} onChange={(v) => setAddress({ ...address, [k]: v })} />
            ))}
          </div>
        </fieldset>
        <CheckboxField label="E-mail address verified" isSelected={emailVerified} onChange={setEmailVerified} />
        <CheckboxField label="Phone number verified" isSelected={phoneNumberVerified} onChange={setPhoneVerified} />
        {action.error !== null && <ErrorMessage error={action.error} />}
        {isStale && (
          <p>
            The user changed since this form was loaded (an edit elsewhere, or a sign-in), so nothing was saved.{' '}
            <Button variant="secondary" onPress={reload}>Discard my changes and load the current profile</Button>
          </p>
        )}
        {saved && <p role="status" className="notice-inline">{saved}</p>}
        <div className="button-row">
          <Button type="submit" variant="primary" isDisabled={action.isPending}>Save profile</Button>
        </div>
      </form>
    </>
  );
}
