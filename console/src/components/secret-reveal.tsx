import { useState } from 'react';
import { Button } from './button';

/** A secret shown once (a new client secret): warns that it cannot be shown again, with a copy button. */
export function SecretReveal({ secret, label }: { secret: string; label: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="secret-reveal" role="group" aria-label={label}>
      <p className="secret-warning">
        <strong>Copy this {label.toLowerCase()} now.</strong> It is shown only once; Porta keeps only a hash of it.
      </p>
      <div className="secret-row">
        <code className="secret-value" aria-label={label} tabIndex={0}>{secret}</code>
        <Button onPress={() => void copy()}>Copy</Button>
      </div>
      <p className="field-description" aria-live="polite">
        {copied === 'copied' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying failed: select the text and copy it yourself.' : ''}
      </p>
    </div>
  );
}
