export {
  createStatsService,
  type HealthState,
  type LoginActivity,
  type OrganizationStats,
  type StatsOverview,
  type StatsService,
  type StatsServiceDeps,
} from './service.js';
export type { StatusCounts, UserActivity } from './repo.js';
