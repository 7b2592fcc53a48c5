export { loadConfig, ConfigError, type LoadConfigOptions } from './load.js';
export { withDevSecrets } from './dev-secrets.js';
export { resolveFileVariables, SERVER_VARIABLES } from './env-files.js';
export type { Config, DatabaseConfig, KvConfig, RuntimeEnv, SmtpConfig, TracingConfig } from './schema.js';
export { MAX_WORKERS } from './schema.js';
export { normalizeIp, type TrustProxy } from './trust-proxy.js';
