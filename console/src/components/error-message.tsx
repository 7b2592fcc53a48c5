import { ApiError } from '../api/client';

function detailLines(details: unknown): string[] {
  if (Array.isArray(details)) {
    return details.map((d) => {
      if (d && typeof d === 'object' && 'message' in d) {
        const { path, message } = d as { path?: unknown; message?: unknown };
        const where = Array.isArray(path) ? path.join('.') : typeof path === 'string' ? path : '';
        return where ? `${where}: ${String(message)}` : String(message);
      }
      return typeof d === 'string' ? d : JSON.stringify(d);
    });
  }
  if (details && typeof details === 'object') {
    const { missing } = details as { missing?: unknown };
    if (Array.isArray(missing)) return [`Missing permissions: ${missing.join(', ')}`];
  }
  return [];
}

/** An error in place (role="alert"): the API's message and its details; nothing when `error` is empty. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  // Details that only repeat the message (a single-field validation error) are not shown twice.
  const lines = error instanceof ApiError ? detailLines(error.details).filter((line) => !line.endsWith(message) && line !== message) : [];
  return (
    <div role="alert" className="error-message">
      <p>{message}</p>
      {lines.length > 0 ? (
        <ul>
          {lines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
