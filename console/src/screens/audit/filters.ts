import { useEffect, useState } from 'react';
import { ApiError, api } from '../../api/client';
import { useSearchParam } from '../../router';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);

/**
 * An organization filter as typed: a UUID is used as it is; a slug is looked up (admins who may read
 * organizations), so the lists' `organizationId` / `org` parameters always get an id.
 */
export async function resolveOrganizationId(value: string, canReadOrganizations: boolean): Promise<string> {
  const typed = value.trim();
  if (isUuid(typed)) return typed;
  if (!canReadOrganizations) throw new ApiError(400, 'validation_failed', 'Enter the organization’s ID (a UUID).');
  try {
    return (await api<{ data: { id: string } }>(`/organizations/${encodeURIComponent(typed)}`)).data.id;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new ApiError(404, 'not_found', `No organization has the slug “${typed}”.`);
    throw err;
  }
}

/**
 * A filter kept in the URL (`?name=`), edited in a text field: the field answers at once, the URL (and
 * so the list's request) follows once typing pauses.
 */
export function useDebouncedParam(name: string, ms = 400): [string, (v: string) => void, string] {
  const [param, setParam] = useSearchParam(name);
  const [input, setInput] = useState(param ?? '');
  useEffect(() => {
    const typed = input.trim();
    if (typed === (param ?? '')) return;
    const timer = setTimeout(() => setParam(typed || null), ms);
    return () => clearTimeout(timer);
  }, [input, param, setParam, ms]);
  return [input, setInput, param ?? ''];
}
