/** SQL text → statement name, for the statements marked with `prepared`. */
const names = new Map<string, string>();
const texts = new Map<string, string>();

/**
 * Marks `text` as a named prepared statement and returns it unchanged: on PostgreSQL each pooled
 * connection parses and plans it once, later runs send only the parameters. For statements on hot
 * paths (the OIDC adapter, client lookups); PGlite runs the text as always. A name stands for exactly
 * one text (a second text under the same name throws at load).
 */
export function prepared(name: string, text: string): string {
  const known = texts.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement "${name}" is already defined with another text`);
  texts.set(name, text);
  if (!names.has(text)) names.set(text, name);
  return text;
}

/** The name `text` was prepared under, if any. */
export function preparedName(text: string): string | undefined {
  return names.get(text);
}
