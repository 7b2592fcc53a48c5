export { createRateLimitService, type RateLimitDecision, type RateLimitScope, type RateLimitService, type RateLimitServiceDeps } from './service.js';
