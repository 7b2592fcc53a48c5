export { createSystemConfigService, type SystemConfigService, type SystemConfigServiceDeps } from './service.js';
export { CONFIG_VERSION_KEY } from './local-cache.js';
export {
  CONFIG_VALUE_TYPES,
  MASK,
  coerceConfigValue,
  type ConfigChange,
  type ConfigDefinition,
  type ConfigEntry,
  type ConfigValueType,
} from './schema.js';
