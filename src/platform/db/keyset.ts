/** A listed row's sort value (as PostgreSQL prints it, so timestamps keep their microseconds) and id. */
export interface KeysetKey {
  value: string | null;
  id: string;
}

/** Where a window starts: strictly after (`next`) or strictly before (`prev`) the row with this key. */
export interface KeysetAnchor extends KeysetKey {
  direction: 'next' | 'prev';
}

/** One page of a keyset list in the order `(sort column, id)`, both `asc` or both `desc`. */
export interface KeysetWindow {
  order: 'asc' | 'desc';
  limit: number;
  anchor?: KeysetAnchor;
}

/** `hasMore`: further rows lie beyond this page in the direction of travel. */
export interface KeysetPage<T> {
  data: T[];
  first: KeysetKey | null;
  last: KeysetKey | null;
  hasMore: boolean;
}

export interface KeysetRow {
  id: unknown;
  keyset_value: string | null;
}

export interface KeysetSql {
  /** The extra select item `keyset_value`. */
  select: string;
  /** The anchor's predicate, null without an anchor. */
  where: string | null;
  orderBy: string;
  /** `$n` holding limit + 1, the extra row telling whether more follow. */
  limit: string;
}

/**
 * SQL fragments for a keyset window over the allow-listed `column` and `id`. NULLs sort last in
 * list order whatever the direction (as the offset lists do), so a nullable column needs the
 * NULL branches; values and limit are pushed to `params`.
 */
export function keysetSql(column: string, isNullable: boolean, window: KeysetWindow, params: unknown[]): KeysetSql {
  const isBackward = window.anchor?.direction === 'prev';
  const isAscending = (window.order === 'asc') !== isBackward;
  const dir = isAscending ? 'ASC' : 'DESC';
  const orderBy = `${column} ${dir} NULLS ${isBackward ? 'FIRST' : 'LAST'}, id ${dir}`;
  const where = window.anchor ? anchorPredicate(column, isNullable, window.anchor, isAscending ? '>' : '<', isBackward, params) : null;
  params.push(window.limit + 1);
  return { select: `${column}::text AS keyset_value`, where, orderBy, limit: `$${params.length}` };
}

/** Rows strictly after the anchor in scan order (NULLs last going forwards, first going backwards). */
function anchorPredicate(column: string, isNullable: boolean, anchor: KeysetAnchor, cmp: '>' | '<', isBackward: boolean, params: unknown[]): string {
  params.push(anchor.id);
  const id = `$${params.length}`;
  if (anchor.value === null) {
    const amongNulls = `(${column} IS NULL AND id ${cmp} ${id})`;
    return isBackward ? `(${column} IS NOT NULL OR ${amongNulls})` : amongNulls;
  }
  params.push(anchor.value);
  const after = `(${column}, id) ${cmp} ($${params.length}, ${id})`;
  if (!isNullable) return after;
  return isBackward ? `(${column} IS NOT NULL AND ${after})` : `(${column} IS NULL OR ${after})`;
}

/** Drops the look-ahead row, restores list order after a backward scan and maps the rows. */
export function keysetPage<R extends KeysetRow, T>(rows: R[], window: KeysetWindow, map: (row: R) => T): KeysetPage<T> {
  const hasMore = rows.length > window.limit;
  const kept = rows.slice(0, window.limit);
  if (window.anchor?.direction === 'prev') kept.reverse();
  const keyOf = (row: R | undefined): KeysetKey | null => (row ? { value: row.keyset_value, id: String(row.id) } : null);
  return { data: kept.map(map), first: keyOf(kept[0]), last: keyOf(kept.at(-1)), hasMore };
}

export const emptyKeysetPage = <T>(): KeysetPage<T> => ({ data: [], first: null, last: null, hasMore: false });
