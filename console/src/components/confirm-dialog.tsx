import { useState, type ReactNode } from 'react';
import { Dialog, DialogTrigger, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { Button } from './button';
import { ErrorMessage } from './error-message';
import { TextField } from './form';

export interface ConfirmDialogProps {
  title: string;
  /** Says what is destroyed or changed, naming it. */
  description: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  /** The text the admin must type to enable the confirm button (a slug, an e-mail). */
  typeToConfirm?: string;
  onConfirm: () => Promise<void>;
  /** A Button (any React Aria pressable) that opens the dialog. */
  trigger: ReactNode;
}

/** Asks before a consequential action; the API's error appears in the dialog, which stays open. */
export function ConfirmDialog({ title, description, confirmLabel, destructive, typeToConfirm, onConfirm, trigger }: ConfirmDialogProps) {
  const [isOpen, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [isPending, setPending] = useState(false);
  const open = (next: boolean) => {
    if (isPending) return;
    setOpen(next);
    if (!next) {
      setTyped('');
      setError(null);
    }
  };
  const confirm = async () => {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      setPending(false);
      open(false);
    } catch (err) {
      setError(err);
      setPending(false);
    }
  };
  const isBlocked = typeToConfirm !== undefined && typed !== typeToConfirm;
  return (
    <DialogTrigger isOpen={isOpen} onOpenChange={open}>
      {trigger}
      <ModalOverlay className="modal-overlay" isDismissable={!isPending}>
        <Modal className="modal">
          <Dialog role="alertdialog" className="dialog">
            <Heading slot="title">{title}</Heading>
            <div className="dialog-description">{description}</div>
            {typeToConfirm !== undefined ? (
              <TextField label={`Type ${typeToConfirm} to confirm`} value={typed} onChange={setTyped} autoComplete="off" />
            ) : null}
            <ErrorMessage error={error} />
            <div className="button-row">
              <Button onPress={() => open(false)} isDisabled={isPending}>Cancel</Button>
              <Button variant={destructive ? 'danger' : 'primary'} onPress={() => void confirm()} isDisabled={isBlocked} isPending={isPending}>
                {confirmLabel}
              </Button>
            </div>
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
