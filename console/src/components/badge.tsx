import type { ReactNode } from 'react';

export type BadgeTone = 'neutral' | 'success' | 'warning' | 'danger' | 'info';

const TONES: Record<string, BadgeTone> = {
  active: 'success', ok: 'success', enabled: 'success', verified: 'success',
  suspended: 'warning', locked: 'warning', inactive: 'warning', retired: 'neutral', pending: 'info', invited: 'info',
  archived: 'neutral', revoked: 'danger', error: 'danger', disabled: 'neutral', expired: 'neutral',
};

/** A short status word; the tone follows common statuses unless given. Colour is never the only signal: the word is shown. */
export function Badge({ children, tone }: { children: ReactNode; tone?: BadgeTone }) {
  const word = typeof children === 'string' ? children.toLowerCase() : '';
  return <span className={`badge badge-${tone ?? TONES[word] ?? 'neutral'}`}>{children}</span>;
}
