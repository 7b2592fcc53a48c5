import { describe, expect, it } from 'vitest';
import type { Migrator, MigrationStatus, MissingPrivilege } from '../platform/db/index.js';
import { createLog } from '../platform/log.js';
import { watchSchema } from './schema-gate.js';

function fakeMigrator(state: { pending: string[]; missing: MissingPrivilege[]; calls: number }): Migrator {
  return {
    status: async (): Promise<MigrationStatus> => {
      state.calls++;
      return { applied: [], pending: [...state.pending], unknown: [] };
    },
    missingPrivileges: async () => [...state.missing],
    up: async () => [],
    down: async () => [],
    grantAppRole: async (role) => ({ role, granted: [] }),
  };
}

const log = createLog({ env: 'test', level: 'silent' });
const insert = (object: string): MissingPrivilege => ({ kind: 'table', object, privilege: 'INSERT', owner: 'porta_migrate', canGrant: false });

describe('watchSchema', () => {
  it('keeps checking after the schema is current, so it follows the schema falling behind and catching up', async () => {
    const state = { pending: [] as string[], missing: [] as MissingPrivilege[], calls: 0 };
    const schema = await watchSchema(fakeMigrator(state), log, 60_000);
    try {
      expect(schema.isCurrent()).toBe(true);
      state.pending = ['900_new'];
      await schema.refresh();
      expect(schema.isCurrent()).toBe(false);
      expect(schema.pending()).toEqual(['900_new']);
      state.pending = [];
      state.missing = [insert('users'), { ...insert('users'), privilege: 'SELECT' }, insert('audit_log')];
      await schema.refresh();
      expect(schema.isCurrent()).toBe(false);
      expect(schema.missingPrivileges()).toEqual(['users: SELECT, INSERT', 'audit_log: INSERT']);
      state.missing = [];
      await schema.refresh();
      expect(schema.isCurrent()).toBe(true);
    } finally {
      schema.stop();
    }
  });

  it('shares one check between overlapping refreshes', async () => {
    const state = { pending: [] as string[], missing: [] as MissingPrivilege[], calls: 0 };
    const schema = await watchSchema(fakeMigrator(state), log, 60_000);
    try {
      const before = state.calls;
      await Promise.all([schema.refresh(), schema.refresh(), schema.refresh()]);
      expect(state.calls - before).toBe(1);
    } finally {
      schema.stop();
    }
  });
});
