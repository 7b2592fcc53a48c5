export { createSigningKeyService, type KeyRotation, type SigningKeyService, type SigningKeyServiceDeps } from './service.js';
export type { SigningKey, SigningKeyStatus } from './repo.js';
export type { PublicJwk, SigningJwk } from './key-material.js';
export { kidOf, SIGNING_ALGORITHM } from './key-material.js';
export { CONFIG_VERSION_KEY } from './jwks-cache.js';
