import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { COMMON_PASSWORDS_COUNT, COMMON_PASSWORDS_FILE, passwordProblem } from './password-policy.js';

describe('password policy (spec 60 §5, NIST SP 800-63B §5.1.1.2)', () => {
  const owner = { email: 'ada@example.com', organizationNames: ['Acme Corporation', null, 'acme-corp'] };

  it('accepts 8 to 128 characters, counted as characters rather than bytes', () => {
    expect(passwordProblem('kettle-violin-42', owner)).toBeNull();
    expect(passwordProblem('é'.repeat(8), owner)).toBeNull();
    expect(passwordProblem('ab3$xyz', owner)).toBe('too_short');
    expect(passwordProblem('x'.repeat(128) + 'q', owner)).toBe('too_long');
    expect(passwordProblem('🙂'.repeat(128), owner)).toBeNull();
  });

  it('refuses the common passwords, case-insensitively, and only the top of the list', () => {
    for (const p of ['password', 'PASSWORD', 'Password1', '12345678', 'qwertyuiop', 'iloveyou', 'baseball']) {
      expect(passwordProblem(p, owner), p).toBe('too_common');
    }
    const lines = fs.readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n').map((p) => p.trim());
    const top = lines.slice(0, COMMON_PASSWORDS_COUNT);
    const topFolded = new Set(top.map((p) => p.toLowerCase()));
    const last = [...top].reverse().find((p) => [...p].length >= 8)!;
    expect(passwordProblem(last, owner), last).toBe('too_common');
    const beyond = lines.slice(COMMON_PASSWORDS_COUNT).find((p) => [...p].length >= 8 && !topFolded.has(p.toLowerCase()))!;
    expect(passwordProblem(beyond, owner), beyond).toBeNull();
  });

  it("refuses the user's e-mail and the organization's names", () => {
    expect(passwordProblem('ADA@example.com', owner)).toBe('same_as_email');
    expect(passwordProblem('acme corporation', owner)).toBe('same_as_organization');
    expect(passwordProblem('Acme-Corp', owner)).toBe('same_as_organization');
    expect(passwordProblem('acme corporation 2', owner)).toBeNull();
  });
});
