export { Badge, type BadgeTone } from './badge';
export { Button, type ButtonProps } from './button';
export { ConfirmDialog, type ConfirmDialogProps } from './confirm-dialog';
export { DataList, type CursorPage, type DataListColumn, type DataListProps } from './data-list';
export { DetailList } from './detail-list';
export { ErrorMessage } from './error-message';
export {
  CheckboxField, FormLayout, SelectField, SwitchField, TextAreaField, TextField,
  type CheckboxFieldProps, type SelectFieldProps, type SwitchFieldProps, type TextAreaFieldProps, type TextFieldProps,
} from './form';
export { PageHeader } from './page-header';
export { SecretReveal } from './secret-reveal';
export { Tabs, type TabDef } from './tabs';
export { useApiMutation } from './use-api-mutation';
export { useSaveForm } from './save-form';
