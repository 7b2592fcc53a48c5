import { Link } from '../../router';

/** A UUID shown by its first characters (tables stay readable); the whole id is the tooltip and the link's target. */
export function ShortId({ id, to }: { id: string; to?: string }) {
  const text = <code className="short-id" title={id}>{id.length > 13 ? `${id.slice(0, 8)}…` : id}</code>;
  return to ? <Link to={to}>{text}</Link> : text;
}
