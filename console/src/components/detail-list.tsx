import type { ReactNode } from 'react';

/** Label–value pairs of one object (`<dl>`). */
export function DetailList({ items }: { items: { label: string; value: ReactNode }[] }) {
  return (
    <dl className="detail-list">
      {items.map((item) => (
        <div key={item.label} className="detail-item">
          <dt>{item.label}</dt>
          <dd>{item.value === null || item.value === undefined || item.value === '' ? <span className="muted">—</span> : item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
