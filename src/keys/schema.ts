import { z } from 'zod';
import { DEFAULT_SIGNING_ALGORITHM, SigningAlgorithm } from './key-material.js';

/** `POST /keys/generate`: RS256 unless asked otherwise. */
export const GenerateKeyInput = z.strictObject({ algorithm: SigningAlgorithm.default(DEFAULT_SIGNING_ALGORITHM) });
export type GenerateKeyInput = z.input<typeof GenerateKeyInput>;

/** `POST /keys/rotate`: one algorithm, or each of them when absent. */
export const RotateKeysInput = z.strictObject({ algorithm: SigningAlgorithm.optional() });
export type RotateKeysInput = z.input<typeof RotateKeysInput>;
