import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import { coerceConfigValue, maskRecord } from './schema.js';

const ttl = { key: 'access_token_ttl', valueType: 'duration', minValue: 60, maxValue: 86400 } as const;

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
  }
  throw new Error('expected an AppError');
}

describe('coerceConfigValue', () => {
  it('takes integers and integer strings within bounds', () => {
    expect(coerceConfigValue(ttl, 120)).toBe(120);
    expect(coerceConfigValue(ttl, ' 7200 ')).toBe(7200);
    expect(coerceConfigValue(ttl, 60)).toBe(60);
    expect(coerceConfigValue(ttl, '86400')).toBe(86400);
  });

  it.each([59, 86401, 1.5, '1e3', 'abc', '', null, true])('rejects %j naming the bounds', (value) => {
    const err = errorOf(() => coerceConfigValue(ttl, value));
    expect(err.kind).toBe('invalid');
    expect(err.code).toBe('invalid_config_value');
    expect(err.message).toContain('between 60 and 86400');
  });

  it('describes one-sided and missing bounds', () => {
    const min = { key: 'k', valueType: 'number', minValue: 1, maxValue: null } as const;
    expect(errorOf(() => coerceConfigValue(min, 0)).message).toBe('k must be an integer of at least 1.');
    const none = { key: 'k', valueType: 'number', minValue: null, maxValue: null } as const;
    expect(coerceConfigValue(none, -5)).toBe(-5);
  });

  it('parses booleans, strings and json', () => {
    const def = (valueType: 'boolean' | 'string' | 'json') => ({ key: 'k', valueType, minValue: null, maxValue: null });
    expect(coerceConfigValue(def('boolean'), 'false')).toBe(false);
    expect(coerceConfigValue(def('boolean'), true)).toBe(true);
    expect(errorOf(() => coerceConfigValue(def('boolean'), 'yes')).code).toBe('invalid_config_value');
    expect(coerceConfigValue(def('string'), 'de')).toBe('de');
    expect(errorOf(() => coerceConfigValue(def('string'), 5)).code).toBe('invalid_config_value');
    expect(coerceConfigValue(def('json'), '{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(coerceConfigValue(def('json'), { b: true })).toEqual({ b: true });
    expect(errorOf(() => coerceConfigValue(def('json'), '{oops')).code).toBe('invalid_config_value');
    expect(errorOf(() => coerceConfigValue(def('json'), undefined)).code).toBe('invalid_config_value');
  });
});

describe('maskRecord', () => {
  it('hides sensitive values only', () => {
    const base = { key: 'k', value: 'secret', valueType: 'string', description: null, isReadonly: true, minValue: null, maxValue: null, updatedAt: '' } as const;
    expect(maskRecord({ ...base, isSensitive: true }).value).toBe('***');
    expect(maskRecord({ ...base, isSensitive: false }).value).toBe('secret');
  });
});
