import type { ReactNode } from 'react';
import { Button as AriaButton } from 'react-aria-components';

export interface ButtonProps {
  variant?: 'primary' | 'secondary' | 'danger';
  onPress?: () => void;
  type?: 'button' | 'submit' | 'reset';
  isDisabled?: boolean;
  /** Shows a busy state and ignores presses (a request under way). */
  isPending?: boolean;
  children: ReactNode;
  'aria-label'?: string;
  className?: string;
}

export function Button({ variant = 'secondary', onPress, type = 'button', isDisabled, isPending, children, className, ...rest }: ButtonProps) {
  return (
    <AriaButton
      // While pending the button keeps its focus but ignores presses (and a submit button stops submitting).
      type={isPending && type === 'submit' ? 'button' : type}
      onPress={isPending ? undefined : onPress}
      isDisabled={isDisabled}
      aria-label={rest['aria-label']}
      data-pending={isPending || undefined}
      className={`button button-${variant}${className ? ` ${className}` : ''}`}
    >
      {children}
      {isPending ? <span className="spinner" aria-hidden="true" /> : null}
    </AriaButton>
  );
}
