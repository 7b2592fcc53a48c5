import { useId, type FormEvent, type ReactNode } from 'react';
import {
  Checkbox, FieldError, Input, Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Switch, Text, TextArea,
  TextField as AriaTextField, Button as AriaButton,
} from 'react-aria-components';

export { Button, type ButtonProps } from './button';

interface FieldBase {
  label: string;
  description?: string;
  errorMessage?: string;
  isDisabled?: boolean;
}

export interface TextFieldProps extends FieldBase {
  name?: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'email' | 'password' | 'url' | 'number' | 'search' | 'tel' | 'date' | 'datetime-local';
  isRequired?: boolean;
  isReadOnly?: boolean;
  placeholder?: string;
  autoComplete?: string;
}

export function TextField({ label, name, value, onChange, type = 'text', description, isRequired, errorMessage, isDisabled, isReadOnly, placeholder, autoComplete }: TextFieldProps) {
  return (
    <AriaTextField
      className="field"
      name={name}
      value={value}
      onChange={onChange}
      type={type}
      isRequired={isRequired}
      isDisabled={isDisabled}
      isReadOnly={isReadOnly}
      isInvalid={Boolean(errorMessage)}
      autoComplete={autoComplete}
    >
      <Label>{label}{isRequired ? <span aria-hidden="true"> *</span> : null}</Label>
      <Input placeholder={placeholder} />
      {description ? <Text slot="description" className="field-description">{description}</Text> : null}
      <FieldError className="field-error">{errorMessage}</FieldError>
    </AriaTextField>
  );
}

export interface TextAreaFieldProps extends FieldBase {
  name?: string;
  value: string;
  onChange: (value: string) => void;
  isRequired?: boolean;
  rows?: number;
}

export function TextAreaField({ label, name, value, onChange, description, isRequired, errorMessage, isDisabled, rows = 4 }: TextAreaFieldProps) {
  return (
    <AriaTextField className="field" name={name} value={value} onChange={onChange} isRequired={isRequired} isDisabled={isDisabled} isInvalid={Boolean(errorMessage)}>
      <Label>{label}{isRequired ? <span aria-hidden="true"> *</span> : null}</Label>
      <TextArea rows={rows} />
      {description ? <Text slot="description" className="field-description">{description}</Text> : null}
      <FieldError className="field-error">{errorMessage}</FieldError>
    </AriaTextField>
  );
}

export interface SelectFieldProps extends FieldBase {
  options: { value: string; label: string }[];
  value: string | null;
  onChange: (value: string) => void;
  name?: string;
  placeholder?: string;
}

export function SelectField({ label, options, value, onChange, description, errorMessage, isDisabled, name, placeholder }: SelectFieldProps) {
  return (
    <Select
      className="field"
      name={name}
      value={value}
      onChange={(key) => key !== null && onChange(String(key))}
      isDisabled={isDisabled}
      isInvalid={Boolean(errorMessage)}
      placeholder={placeholder ?? 'Choose…'}
    >
      <Label>{label}</Label>
      <AriaButton className="select-button">
        <SelectValue />
        <span aria-hidden="true" className="select-chevron">▾</span>
      </AriaButton>
      {description ? <Text slot="description" className="field-description">{description}</Text> : null}
      <FieldError className="field-error">{errorMessage}</FieldError>
      <Popover className="popover">
        <ListBox className="listbox" items={options.map((o) => ({ id: o.value, ...o }))}>
          {(item) => <ListBoxItem className="listbox-item" id={item.id}>{item.label}</ListBoxItem>}
        </ListBox>
      </Popover>
    </Select>
  );
}

export interface CheckboxFieldProps {
  label: ReactNode;
  description?: string;
  isSelected: boolean;
  onChange: (isSelected: boolean) => void;
  isDisabled?: boolean;
  name?: string;
  value?: string;
}

export function CheckboxField({ label, description, isSelected, onChange, isDisabled, name, value }: CheckboxFieldProps) {
  const id = useId();
  return (
    <div className="toggle-field">
      <Checkbox className="checkbox" isSelected={isSelected} onChange={onChange} isDisabled={isDisabled} name={name} value={value} aria-describedby={description ? id : undefined}>
        <span className="checkbox-box" aria-hidden="true">
          <svg viewBox="0 0 18 18"><polyline points="2 9 7 14 16 4" /></svg>
        </span>
        {label}
      </Checkbox>
      {description ? <span id={id} className="field-description">{description}</span> : null}
    </div>
  );
}

export interface SwitchFieldProps {
  label: ReactNode;
  description?: string;
  isSelected: boolean;
  onChange: (isSelected: boolean) => void;
  isDisabled?: boolean;
}

export function SwitchField({ label, description, isSelected, onChange, isDisabled }: SwitchFieldProps) {
  const id = useId();
  return (
    <div className="toggle-field">
      <Switch className="switch" isSelected={isSelected} onChange={onChange} isDisabled={isDisabled} aria-describedby={description ? id : undefined}>
        <span className="switch-track" aria-hidden="true"><span className="switch-thumb" /></span>
        {label}
      </Switch>
      {description ? <span id={id} className="field-description">{description}</span> : null}
    </div>
  );
}

/** A `<form>` that calls `onSubmit` without reloading the page. */
export function FormLayout({ onSubmit, children, label }: { onSubmit: () => void; children: ReactNode; label?: string }) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form className="form" onSubmit={submit} aria-label={label} noValidate>
      {children}
    </form>
  );
}
