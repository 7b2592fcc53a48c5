import type { User, UserStatus } from './types';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp from the API in the admin's locale, or a dash when absent. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : dateTime.format(d);
}

export function displayName(user: Pick<User, 'givenName' | 'familyName' | 'email'>): string {
  const name = [user.givenName, user.familyName].filter(Boolean).join(' ');
  return name || user.email;
}

export const STATUS_LABELS: Record<UserStatus, string> = {
  active: 'Active',
  inactive: 'Inactive',
  suspended: 'Suspended',
  locked: 'Locked',
};

export const STATUS_OPTIONS = [
  { value: 'any', label: 'Any status' },
  ...(Object.keys(STATUS_LABELS) as UserStatus[]).map((value) => ({ value, label: STATUS_LABELS[value] })),
];

export const isUserStatus = (v: string | null): v is UserStatus => v !== null && v in STATUS_LABELS;
