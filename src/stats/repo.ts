import type { Queryable } from '../platform/db/index.js';

/** Tables counted by status, with every status they allow (so absent ones read 0). */
export const STATUS_TABLES = {
  organizations: ['active', 'suspended', 'archived'],
  applications: ['active', 'inactive', 'archived'],
  clients: ['active', 'inactive', 'revoked'],
  users: ['active', 'inactive', 'suspended', 'locked'],
} as const;
export type StatusTable = keyof typeof STATUS_TABLES;
export type StatusCounts = { total: number } & Record<string, number>;

const TENANT_TABLES: ReadonlySet<StatusTable> = new Set(['clients', 'users']);

/** `{ total, <status>: n }`; clients and users optionally within one organization. */
export async function countByStatus(q: Queryable, table: StatusTable, orgId?: string): Promise<StatusCounts> {
  if (orgId !== undefined && !TENANT_TABLES.has(table)) throw new Error(`${table} is not tenant-owned`);
  const where = orgId === undefined ? '' : 'WHERE organization_id = $1';
  const rows = await q.many<{ status: string; n: string | number }>(
    `SELECT status, count(*) AS n FROM ${table} ${where} GROUP BY status`,
    orgId === undefined ? [] : [orgId],
  );
  const counts: StatusCounts = { total: 0 };
  for (const status of STATUS_TABLES[table]) counts[status] = 0;
  for (const row of rows) {
    counts[row.status] = Number(row.n);
    counts.total += Number(row.n);
  }
  return counts;
}

export interface UserActivity {
  newLast7d: number;
  newLast30d: number;
  activeLast30d: number;
}

/** Users created since each cut-off and users who logged in during the last 30 days. */
export async function userActivity(q: Queryable, since7d: Date, since30d: Date, orgId?: string): Promise<UserActivity> {
  const params: unknown[] = [since7d, since30d];
  const org = orgId === undefined ? '' : `WHERE organization_id = $${params.push(orgId)}`;
  const row = await q.one<{ new7: string | number; new30: string | number; active30: string | number }>(
    `SELECT count(*) FILTER (WHERE created_at >= $1) AS new7,
            count(*) FILTER (WHERE created_at >= $2) AS new30,
            count(*) FILTER (WHERE last_login_at >= $2) AS active30
       FROM users ${org}`,
    params,
  );
  return { newLast7d: Number(row.new7), newLast30d: Number(row.new30), activeLast30d: Number(row.active30) };
}
