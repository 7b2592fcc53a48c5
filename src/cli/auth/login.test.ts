import { describe, expect, it, vi } from 'vitest';
import { browserCallback, isContainer } from './login.js';

describe('browser-mode login listener', () => {
  it('opens the URL built for a random loopback port and returns the callback the browser brings back', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      let page = '';
      const result = await browserCallback(
        (redirectUri) => `http://issuer.test/authorize?redirect_uri=${encodeURIComponent(redirectUri)}`,
        (url) => {
          const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
          void fetch(`${redirectUri}?code=c1&state=s1`).then(async (res) => (page = await res.text()));
        },
      );
      expect(result.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(result.callback).toBe('http://127.0.0.1/callback?code=c1&state=s1');
      await vi.waitFor(() => expect(page).toContain('return to the terminal'));
    } finally {
      stderr.mockRestore();
    }
  });

  it('gives up after the timeout with exit 3', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(browserCallback(() => 'http://issuer.test/authorize', () => undefined, 50)).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/Timed out/) });
    } finally {
      stderr.mockRestore();
    }
  });

  it('detects containers, unless PORTA_CONTAINER=0', () => {
    expect(isContainer({ PORTA_CONTAINER: '1' })).toBe(true);
    expect(isContainer({ PORTA_CONTAINER: '0' })).toBe(false);
  });
});
