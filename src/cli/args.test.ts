import { describe, expect, it } from 'vitest';
import { CliError } from './context.js';
import { claimValue, collect, defined, expiryOf, list, positiveInt, requireSome } from './args.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

describe('CLI argument parsing', () => {
  it('splits comma lists and collects repeated options', () => {
    expect(list(' password, magic_link ,,')).toEqual(['password', 'magic_link']);
    expect(collect('b,c', collect('a', undefined))).toEqual(['a', 'b', 'c']);
  });

  it('accepts only positive whole numbers for paging and limits', () => {
    expect(positiveInt('20')).toBe(20);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(() => positiveInt(bad)).toThrow(/positive whole number/);
  });

  it('turns --expires-in into an ISO expiry from now (m = months), and --expires-at into ISO', async () => {
    expect(await expiryOf({ expiresIn: '24h' }, NOW)).toBe('2026-01-02T00:00:00.000Z');
    expect(await expiryOf({ expiresIn: '90d' }, NOW)).toBe('2026-04-01T00:00:00.000Z');
    expect(Date.parse((await expiryOf({ expiresIn: '6m' }, NOW))!)).toBeGreaterThan(Date.parse('2026-06-28T00:00:00Z'));
    expect(Date.parse((await expiryOf({ expiresIn: '1y' }, NOW))!)).toBeGreaterThanOrEqual(Date.parse('2027-01-01T00:00:00Z'));
    expect(await expiryOf({ expiresAt: '2027-01-01T00:00:00+01:00' }, NOW)).toBe('2026-12-31T23:00:00.000Z');
    expect(await expiryOf({}, NOW)).toBeUndefined();
  });

  it('rejects bad or doubled expiries as usage errors (exit 2)', async () => {
    for (const options of [{ expiresIn: '3 weeks' }, { expiresIn: '0d' }, { expiresAt: 'tomorrow' }, { expiresAt: '2027-01-01T00:00:00Z', expiresIn: '1d' }]) {
      await expect(expiryOf(options, NOW)).rejects.toMatchObject({ exitCode: 2 });
      await expect(expiryOf(options, NOW)).rejects.toBeInstanceOf(CliError);
    }
  });

  it('reads claim values per the claim type', () => {
    expect(claimValue('string', '123')).toBe('123');
    expect(claimValue('number', '12.5')).toBe(12.5);
    expect(claimValue('boolean', 'false')).toBe(false);
    expect(claimValue('json', '{"tier":"gold"}')).toEqual({ tier: 'gold' });
    expect(claimValue('json', '"text"')).toBe('text');
    for (const [type, raw] of [['number', 'abc'], ['number', ''], ['boolean', 'yes'], ['json', '{bad'], ['json', 'null']]) {
      expect(() => claimValue(type!, raw!)).toThrow(CliError);
    }
  });

  it('sends only given fields and refuses an empty update', () => {
    expect(defined({ a: 1, b: undefined, c: null })).toEqual({ a: 1, c: null });
    expect(() => requireSome({}, '--name')).toThrow(/Nothing to change: pass at least one of --name/);
  });
});
