export { createSigningKeyService, type KeyRotation, type SigningKeyService, type SigningKeyServiceDeps } from './service.js';
export type { SigningKey, SigningKeyStatus } from './repo.js';
export type { PublicJwk, SigningJwk } from './key-material.js';
export { kidOf, missingAlgorithms, DEFAULT_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, SigningAlgorithm } from './key-material.js';
export { GenerateKeyInput, RotateKeysInput } from './schema.js';
export { CONFIG_VERSION_KEY } from './jwks-cache.js';
