import { describe, expect, it } from 'vitest';
import { selectMode, type ModeInputs } from './mode.js';

const none: ModeInputs = { isDirectFlag: false, hasCredentials: false, hasEmbeddedData: false };

describe('selectMode (spec 30 §1)', () => {
  it('has no mode without flags, server, login, database URL or embedded data', () => {
    expect(selectMode(none)).toEqual({ kind: 'none' });
  });

  it('takes --direct and --database-url before anything else', () => {
    const everything = { ...none, serverFlag: 'http://a', envServer: 'http://b', hasCredentials: true, envDatabaseUrl: 'postgres://x', hasEmbeddedData: true };
    expect(selectMode({ ...everything, isDirectFlag: true })).toEqual({ kind: 'direct', reason: 'flag' });
    expect(selectMode({ ...everything, databaseUrlFlag: 'postgres://y' })).toEqual({ kind: 'direct', reason: 'flag' });
  });

  it('prefers HTTP when a server is named or a login is stored, even with DATABASE_URL or embedded data', () => {
    const local = { ...none, envDatabaseUrl: 'postgres://x', hasEmbeddedData: true };
    expect(selectMode({ ...local, serverFlag: 'http://a', envServer: 'http://b' })).toEqual({ kind: 'http', server: 'http://a' });
    expect(selectMode({ ...local, envServer: 'http://b' })).toEqual({ kind: 'http', server: 'http://b' });
    expect(selectMode({ ...local, hasCredentials: true })).toEqual({ kind: 'http', server: null });
  });

  it('falls back to direct on DATABASE_URL, then on an existing embedded data directory', () => {
    expect(selectMode({ ...none, envDatabaseUrl: 'postgres://x', hasEmbeddedData: true })).toEqual({ kind: 'direct', reason: 'database_url' });
    expect(selectMode({ ...none, hasEmbeddedData: true })).toEqual({ kind: 'direct', reason: 'embedded' });
  });
});
