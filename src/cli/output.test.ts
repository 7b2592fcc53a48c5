import { describe, expect, it } from 'vitest';
import { cell, recordLines, snake, tableOf } from './output.js';

describe('CLI output formatting', () => {
  it('renders cells without truncation: arrays comma-joined, objects as JSON, null as empty', () => {
    const uuid = 'f42070ec-2d01-4b36-aef4-84923157599e';
    expect(cell(uuid)).toBe(uuid);
    expect(cell(['password', 'magic_link'])).toBe('password, magic_link');
    expect(cell([{ a: 1 }])).toBe('{"a":1}');
    expect(cell({ source: 'cli-direct' })).toBe('{"source":"cli-direct"}');
    expect(cell(null)).toBe('');
    expect(cell(undefined)).toBe('');
    expect(cell(false)).toBe('false');
    expect(cell(0)).toBe('0');
  });

  it('names columns in snake case and takes computed columns', () => {
    expect(snake('createdAt')).toBe('created_at');
    expect(snake('includeInIdToken')).toBe('include_in_id_token');
    const { headers, rows } = tableOf([{ id: 'x', createdAt: 't', actorId: null }], ['id', 'createdAt', { header: 'actor', value: (r) => r.actorId ?? '(direct)' }]);
    expect(headers).toEqual(['id', 'created_at', 'actor']);
    expect(rows).toEqual([{ id: 'x', created_at: 't', actor: '(direct)' }]);
  });

  it('aligns record lines and flattens nested objects with dotted names', () => {
    const lines = recordLines({ id: 'o1', branding: { logoUrl: null, colors: { primary: '#000000' } }, defaultLoginMethods: ['password'], empty: {} });
    expect(lines).toEqual([
      'id                       o1',
      'branding.logoUrl',
      'branding.colors.primary  #000000',
      'defaultLoginMethods      password',
      'empty                    {}',
    ]);
  });

  it('prints only the asked fields, in order', () => {
    expect(recordLines({ a: 1, b: 2, c: 3 }, ['c', 'a'])).toEqual(['c  3', 'a  1']);
  });
});
