import { useEffect, useState, type ReactNode } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Cell, Column, Row, SearchField, Input, Label, Table, TableBody, TableHeader, Button as AriaButton } from 'react-aria-components';
import { Button } from './button';
import { ErrorMessage } from './error-message';

export interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
  previousCursor?: string | null;
}

export interface DataListColumn<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
}

export interface DataListProps<T> {
  /** The table's accessible name. */
  label: string;
  /** Identifies the list for TanStack Query (invalidate it after a change). */
  queryKey: readonly unknown[];
  /** One page from the API: `cursor` null for the first, `search` as typed (debounced). */
  fetchPage: (cursor: string | null, search: string) => Promise<CursorPage<T>>;
  columns: DataListColumn<T>[];
  /** Where a row leads (console path); rows are then links (Enter or click). */
  rowLink?: (row: T) => string;
  /** Label of the search box; without it there is none. */
  searchLabel?: string;
  /** Buttons beside the search box. */
  actions?: ReactNode;
  /** Text when there is nothing to show. */
  emptyText?: string;
}

const DEBOUNCE_MS = 300;

function useDebounced(value: string, ms: number): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

const rowId = (row: unknown, index: number): string => {
  const id = (row as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : String(index);
};

/** A table over a cursor-paged API list: one page at a time (Next / Previous), search on the server. */
export function DataList<T>({ label, queryKey, fetchPage, columns, rowLink, searchLabel, actions, emptyText }: DataListProps<T>) {
  const [input, setInput] = useState('');
  const search = useDebounced(input.trim(), DEBOUNCE_MS);
  // Where the list stands: its cursor, and the cursors of the pages before it (to go back even where the
  // API gives no previousCursor). A new search or a new queryKey (a filter, a sort) starts again at page 1:
  // a cursor is only valid for the query it came from.
  const scope = JSON.stringify([queryKey, search]);
  const [position, setPosition] = useState<{ scope: string; cursor: string | null; trail: (string | null)[] }>({ scope, cursor: null, trail: [] });
  const current = position.scope === scope ? position : { scope, cursor: null, trail: [] };
  if (position.scope !== scope) setPosition(current);
  const { cursor, trail } = current;
  const query = useQuery({
    queryKey: [...queryKey, { cursor, search }],
    queryFn: () => fetchPage(cursor, search),
    placeholderData: keepPreviousData,
  });
  const page = query.data;
  const next = () => {
    if (page?.nextCursor) setPosition({ scope, cursor: page.nextCursor, trail: [...trail, cursor] });
  };
  const previous = () => {
    if (trail.length > 0) setPosition({ scope, cursor: trail[trail.length - 1] ?? null, trail: trail.slice(0, -1) });
  };
  const rows = (page?.data ?? []).map((row, index) => ({ row, id: rowId(row, index) }));
  const pageNumber = trail.length + 1;
  return (
    <section className="data-list" aria-label={label}>
      {searchLabel || actions ? (
        <div className="data-list-toolbar">
          {searchLabel ? (
            <SearchField className="search-field" value={input} onChange={setInput}>
              <Label>{searchLabel}</Label>
              <div className="search-input">
                <Input />
                {input ? <AriaButton className="search-clear" aria-label="Clear search">×</AriaButton> : null}
              </div>
            </SearchField>
          ) : null}
          {actions ? <div className="data-list-actions">{actions}</div> : null}
        </div>
      ) : null}
      <ErrorMessage error={query.error} />
      <div className="table-wrap">
        <Table aria-label={label} className="table" aria-busy={query.isFetching}>
          <TableHeader columns={columns}>
            {(column) => (
              <Column id={column.key} isRowHeader={column === columns[0]}>
                {column.header}
              </Column>
            )}
          </TableHeader>
          <TableBody
            items={rows}
            dependencies={[columns]}
            renderEmptyState={() => <p className="empty">{query.isPending ? 'Loading…' : query.isError ? 'Could not load this list.' : (emptyText ?? (search ? `Nothing matches “${search}”.` : 'Nothing here yet.'))}</p>}
          >
            {(item) => (
              <Row id={item.id} columns={columns} href={rowLink ? rowLink(item.row) : undefined} className={rowLink ? 'row row-link' : 'row'}>
                {(column) => <Cell>{column.render(item.row)}</Cell>}
              </Row>
            )}
          </TableBody>
        </Table>
      </div>
      <nav className="pager" aria-label={`${label} pages`}>
        <Button onPress={previous} isDisabled={trail.length === 0 || query.isFetching}>Previous</Button>
        <span className="pager-status" aria-live="polite">
          Page {pageNumber}
          {query.isFetching && !query.isPending ? ' (loading…)' : ''}
        </span>
        <Button onPress={next} isDisabled={!page?.nextCursor || query.isFetching}>Next</Button>
      </nav>
    </section>
  );
}
