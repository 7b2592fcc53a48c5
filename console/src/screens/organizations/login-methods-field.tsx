import { CheckboxField } from '../../components';
import { LOGIN_METHOD_LABELS, type LoginMethod } from './api';

const ORDER: LoginMethod[] = ['password', 'magic_link', 'passkey'];

/** The organization's default sign-in methods: a non-empty subset, kept in a stable order. */
export function LoginMethodsField({ value, onChange, isDisabled }: { value: LoginMethod[]; onChange: (v: LoginMethod[]) => void; isDisabled?: boolean }) {
  const toggle = (method: LoginMethod, on: boolean) => onChange(ORDER.filter((m) => (m === method ? on : value.includes(m))));
  return (
    <fieldset className="fieldset">
      <legend>Sign-in methods</legend>
      {ORDER.map((method) => (
        <CheckboxField key={method} label={LOGIN_METHOD_LABELS[method]} isSelected={value.includes(method)} onChange={(on) => toggle(method, on)} isDisabled={isDisabled} />
      ))}
      {value.length === 0 ? <p className="field-error" role="alert">Choose at least one method.</p> : null}
      <p className="field-description">Clients may narrow these. Magic links need a mail transport (SMTP).</p>
    </fieldset>
  );
}
