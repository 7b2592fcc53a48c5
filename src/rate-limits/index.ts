export {
  createRateLimitService,
  type RateLimitContext,
  type RateLimitDecision,
  type RateLimitScope,
  type RateLimitService,
  type RateLimitServiceDeps,
} from './service.js';
