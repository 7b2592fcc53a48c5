import { invalidConfigValue } from './errors.js';

export const CONFIG_VALUE_TYPES = ['string', 'number', 'boolean', 'duration', 'json'] as const;
export type ConfigValueType = (typeof CONFIG_VALUE_TYPES)[number];

/** A row as stored, values unmasked; stays inside this domain and `getMany`-style reads. */
export interface ConfigRecord {
  key: string;
  value: unknown;
  valueType: ConfigValueType;
  description: string | null;
  isSensitive: boolean;
  isReadonly: boolean;
  minValue: number | null;
  maxValue: number | null;
  updatedAt: string;
}

/** What the admin API shows: sensitive values replaced by `"***"`. */
export type ConfigEntry = ConfigRecord;

export interface ConfigChange {
  entry: ConfigEntry;
  /** The value before the change, masked like `entry.value`. */
  previous: unknown;
}

export interface ConfigDefinition {
  value: unknown;
  valueType: ConfigValueType;
  description?: string | null;
  isSensitive?: boolean;
  isReadonly?: boolean;
  minValue?: number | null;
  maxValue?: number | null;
}

export const MASK = '***';
const MAX_STRING_LENGTH = 10_000;

export function maskRecord(record: ConfigRecord): ConfigEntry {
  return record.isSensitive ? { ...record, value: MASK } : record;
}

type Bounds = Pick<ConfigRecord, 'key' | 'valueType' | 'minValue' | 'maxValue'>;

/**
 * Turns an API value (often a string, spec 20 §5.8) into the stored type, or throws `invalid_config_value`.
 * number/duration: integers within the key's bounds; boolean: true/false; json: a value or JSON text.
 */
export function coerceConfigValue(def: Bounds, raw: unknown): unknown {
  switch (def.valueType) {
    case 'number':
    case 'duration':
      return coerceInteger(def, raw);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw invalidConfigValue(def.key, 'must be true or false.');
    case 'string':
      if (typeof raw !== 'string') throw invalidConfigValue(def.key, 'must be a string.');
      if (raw.length > MAX_STRING_LENGTH) throw invalidConfigValue(def.key, `must be at most ${MAX_STRING_LENGTH} characters.`);
      return raw;
    case 'json':
      return coerceJson(def.key, raw);
  }
}

function coerceInteger(def: Bounds, raw: unknown): number {
  const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
  const unit = def.valueType === 'duration' ? ' seconds' : '';
  const isInteger = typeof value === 'number' && Number.isSafeInteger(value);
  const isInBounds =
    isInteger && (def.minValue === null || value >= def.minValue) && (def.maxValue === null || value <= def.maxValue);
  if (isInBounds) return value as number;
  throw invalidConfigValue(def.key, `must be an integer${describeBounds(def)}${unit}.`);
}

function describeBounds({ minValue, maxValue }: Bounds): string {
  if (minValue !== null && maxValue !== null) return ` between ${minValue} and ${maxValue}`;
  if (minValue !== null) return ` of at least ${minValue}`;
  if (maxValue !== null) return ` of at most ${maxValue}`;
  return '';
}

function coerceJson(key: string, raw: unknown): unknown {
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw invalidConfigValue(key, 'must be valid JSON text.');
    }
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw invalidConfigValue(key, 'must be a JSON value.');
  return JSON.parse(text) as unknown;
}
