/** PostgreSQL's unique_violation, raised identically by `pg` and the embedded engine. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** Escapes `%`, `_` and `\` for a LIKE/ILIKE pattern used with `ESCAPE '\'` (the default). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
