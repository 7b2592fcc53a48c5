import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { withTimeout } from '../platform/db/queryable.js';
import type { Kv } from '../platform/kv/index.js';
import { countByStatus, userActivity, type StatusCounts, type UserActivity } from './repo.js';

type Activity = { successful: number; failed: number };
export interface LoginActivity {
  last24h: Activity;
  last7d: Activity;
  last30d: Activity;
}

export interface StatsServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  organizations: { getById(id: string): Promise<{ id: string }> };
  audit: { loginActivity(organizationId?: string): Promise<LoginActivity> };
}

export type HealthState = 'ok' | 'error';

/** Spec 20 §5.8 `GET /stats/overview`. */
export interface StatsOverview {
  organizations: StatusCounts;
  users: StatusCounts & UserActivity;
  applications: StatusCounts;
  clients: StatusCounts;
  loginActivity: LoginActivity;
  systemHealth: { database: HealthState; redis: HealthState };
  generatedAt: string;
}

export interface OrganizationStats {
  organizationId: string;
  users: StatusCounts & UserActivity;
  clients: StatusCounts;
  loginActivity: LoginActivity;
  generatedAt: string;
}

const DAY_MS = 86_400_000;
const HEALTH_TIMEOUT_MS = 2000;

export type StatsService = ReturnType<typeof createStatsService>;

export function createStatsService({ db, kv, clock, organizations, audit }: StatsServiceDeps) {
  async function health(ping: () => Promise<void>): Promise<HealthState> {
    try {
      await withTimeout(ping(), HEALTH_TIMEOUT_MS, 'health check');
      return 'ok';
    } catch {
      return 'error';
    }
  }

  async function users(orgId?: string): Promise<StatusCounts & UserActivity> {
    const now = clock.now();
    const [counts, activity] = await Promise.all([
      countByStatus(db, 'users', orgId),
      userActivity(db, new Date(now - 7 * DAY_MS), new Date(now - 30 * DAY_MS), orgId),
    ]);
    return { ...counts, ...activity };
  }

  return {
    async overview(): Promise<StatsOverview> {
      const [organizations, userCounts, applications, clients, loginActivity, database, redis] = await Promise.all([
        countByStatus(db, 'organizations'),
        users(),
        countByStatus(db, 'applications'),
        countByStatus(db, 'clients'),
        audit.loginActivity(),
        health(() => db.ping()),
        health(() => kv.ping()),
      ]);
      return {
        organizations, users: userCounts, applications, clients, loginActivity,
        systemHealth: { database, redis }, generatedAt: new Date(clock.now()).toISOString(),
      };
    },

    /** Throws `organization_not_found` for an unknown organization. */
    async organization(orgId: string): Promise<OrganizationStats> {
      await organizations.getById(orgId);
      const [userCounts, clients, loginActivity] = await Promise.all([
        users(orgId),
        countByStatus(db, 'clients', orgId),
        audit.loginActivity(orgId),
      ]);
      return { organizationId: orgId, users: userCounts, clients, loginActivity, generatedAt: new Date(clock.now()).toISOString() };
    },
  };
}
