import { describe, expect, it } from 'vitest';
import { credentialsFileCheck, nodeCheck } from './doctor.js';

describe('porta doctor checks', () => {
  it('passes Node 20.19 and newer, fails older', () => {
    expect(nodeCheck('20.19.0').status).toBe('pass');
    expect(nodeCheck('22.1.0').status).toBe('pass');
    expect(nodeCheck('20.11.1')).toEqual({ check: 'node', status: 'fail', detail: 'Node 20.11.1; Porta needs 20.19 or newer' });
  });

  it('warns about a missing or group/world-readable credentials file', () => {
    expect(credentialsFileCheck('/h/.porta/credentials.json', 0o600)).toEqual({ check: 'credentials', status: 'pass', detail: '/h/.porta/credentials.json (mode 0600)' });
    expect(credentialsFileCheck('/h/.porta/credentials.json', 0o644).status).toBe('warn');
    expect(credentialsFileCheck('/h/.porta/credentials.json', 0o644).detail).toContain('chmod 600');
    expect(credentialsFileCheck('/h/.porta/credentials.json', null).detail).toContain('porta login');
  });
});
