import { describe, expect, it } from 'vitest';
import { apiError, describeError, exitCodeForStatus, isUuid } from './client.js';

describe('Admin API errors in the CLI', () => {
  it('maps statuses to spec 30 exit codes', () => {
    expect([400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503].map(exitCodeForStatus)).toEqual([2, 3, 4, 5, 6, 1, 2, 2, 1, 1, 1, 1]);
  });

  it('keeps the error body for --json and explains details for people', () => {
    const body = { error: 'validation_failed', message: 'Invalid input.', details: [{ path: 'name', message: 'Required' }, { path: '', message: 'Invalid input.' }] };
    const err = apiError(400, body);
    expect(err.exitCode).toBe(2);
    expect(err.body).toEqual(body);
    expect(err.message).toBe('Invalid input.\n  name: Required');
    expect(describeError({ error: 'forbidden', message: 'You lack a permission this operation requires.', details: { missing: ['admin:org:create'] } })).toBe(
      'You lack a permission this operation requires.\n  missing permission(s): admin:org:create',
    );
    expect(describeError({ error: 'import_failed', message: 'Import failed.', details: [{ type: 'organization', slug: 'acme', error: 'slug_taken' }] })).toBe('Import failed.\n  organization acme: slug_taken');
  });

  it('gives a body in the admin vocabulary to answers that are not JSON', () => {
    expect(apiError(502, '<html>Bad gateway</html>').body).toEqual({ error: 'internal_error', message: '<html>Bad gateway</html>' });
    expect(apiError(404, null).body).toEqual({ error: 'http_404', message: 'The server answered 404.' });
  });

  it('recognises UUIDs (anything else is a slug or client_id)', () => {
    expect(isUuid('f42070ec-2d01-4b36-aef4-84923157599e')).toBe(true);
    expect(isUuid('acme')).toBe(false);
  });
});
