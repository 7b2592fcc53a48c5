import { describe, expect, it } from 'vitest';
import { buildProgram, commandWord } from './program.js';

describe('the porta program', () => {
  it('finds the command word past global options and their values', () => {
    expect(commandWord(['keys', 'list'])).toBe('keys');
    expect(commandWord(['--json', '--server', 'http://localhost:3000', 'org', 'list'])).toBe('org');
    expect(commandWord(['--database-url', 'postgres://x', '--direct', 'config', 'get', 'k'])).toBe('config');
    expect(commandWord(['--server=http://localhost:3000', 'whoami'])).toBe('whoami');
    expect(commandWord(['--help'])).toBeUndefined();
  });

  it('registers only the named command, or every command for help and unknown words', async () => {
    const names = async (...args: string[]) => (await buildProgram(['node', 'porta', ...args])).commands.map((c) => c.name());
    expect(await names('keys', 'list')).toEqual(['keys']);
    expect(await names('--json', 'session', 'list')).toEqual(['sessions']);
    expect(await names('client', 'secret', 'list', 'x')).toEqual(['client']);
    expect(await names('login')).toEqual(['login', 'logout', 'whoami', 'version', 'doctor']);
    const all = await names('--help');
    expect(all).toEqual(expect.arrayContaining(['init', 'keys', 'org', 'app', 'client', 'user', 'config', 'audit', 'sessions', 'provision', 'completion', 'seed']));
    expect(await names('completion')).toEqual(all);
    expect(await names('no-such-command')).toEqual(all);
  });
});
