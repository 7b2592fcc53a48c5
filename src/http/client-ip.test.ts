import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { clientIp, clientProtocol, compileTrust } from './client-ip.js';

const trustOf = (value: string) => compileTrust(loadConfig({ NODE_ENV: 'development', TRUST_PROXY: value }).http.trustProxy);

describe('clientIp', () => {
  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const none = trustOf('false');
    expect(clientIp('198.51.100.4', '203.0.113.9', none)).toBe('198.51.100.4');
    expect(clientIp('198.51.100.4', undefined, none)).toBe('198.51.100.4');
    expect(clientIp('::ffff:198.51.100.4', '203.0.113.9', none)).toBe('198.51.100.4');
  });

  it('with one trusted hop takes the entry the proxy appended, never the spoofed leftmost ones', () => {
    const oneHop = trustOf('true');
    // nginx $proxy_add_x_forwarded_for: what the client sent, then the address nginx saw.
    expect(clientIp('10.0.0.2', '1.1.1.1, 203.0.113.9', oneHop)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '1.1.1.1,2.2.2.2,   203.0.113.9', oneHop)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '203.0.113.9', oneHop)).toBe('203.0.113.9');
    // Several headers arrive joined by Node with ", ".
    expect(clientIp('10.0.0.2', 'spoof, 1.1.1.1, 203.0.113.9', oneHop)).toBe('203.0.113.9');
  });

  it('counts hops from the socket: n trusted proxies, the client is the nth entry from the right', () => {
    const header = '9.9.9.9, 203.0.113.9, 10.0.0.1';
    expect(clientIp('10.0.0.2', header, trustOf('1'))).toBe('10.0.0.1');
    expect(clientIp('10.0.0.2', header, trustOf('2'))).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', header, trustOf('3'))).toBe('9.9.9.9');
    // More trusted hops than entries: the leftmost address known.
    expect(clientIp('10.0.0.2', '203.0.113.9', trustOf('5'))).toBe('203.0.113.9');
  });

  it('without X-Forwarded-For is the socket address, in every mode', () => {
    for (const mode of ['false', 'true', '3', '10.0.0.0/8']) {
      expect(clientIp('10.0.0.2', undefined, trustOf(mode))).toBe('10.0.0.2');
      expect(clientIp('10.0.0.2', '', trustOf(mode))).toBe('10.0.0.2');
    }
  });

  it('with trusted ranges walks right to left past trusted proxies only (IPv4 CIDRs)', () => {
    const ranges = trustOf('10.0.0.0/8, 192.168.1.7');
    expect(clientIp('10.1.2.3', '6.6.6.6, 203.0.113.9', ranges)).toBe('203.0.113.9');
    expect(clientIp('10.1.2.3', '6.6.6.6, 203.0.113.9, 192.168.1.7, 10.9.9.9', ranges)).toBe('203.0.113.9');
    // A trusted-looking entry left of the client is the client's own claim: not believed.
    expect(clientIp('10.1.2.3', '10.5.5.5, 203.0.113.9', ranges)).toBe('203.0.113.9');
    // Every entry trusted: the leftmost.
    expect(clientIp('10.1.2.3', '10.7.7.7, 192.168.1.7', ranges)).toBe('10.7.7.7');
    expect(clientIp('10.1.2.3', '192.168.1.8', ranges)).toBe('192.168.1.8');
  });

  it('ignores X-Forwarded-For from a peer outside the trusted ranges', () => {
    const ranges = trustOf('10.0.0.0/8');
    expect(clientIp('198.51.100.4', '10.0.0.1, 1.2.3.4', ranges)).toBe('198.51.100.4');
    expect(clientIp('::ffff:198.51.100.4', '1.2.3.4', ranges)).toBe('198.51.100.4');
  });

  it('handles IPv6 peers, entries and CIDRs, and IPv4-mapped addresses', () => {
    const ranges = trustOf('fd00::/8, ::1, 10.0.0.0/8');
    expect(clientIp('::1', '2001:db8::7', ranges)).toBe('2001:db8::7');
    expect(clientIp('fd12:3456::1', '2001:DB8::7, fd00::5', ranges)).toBe('2001:db8::7');
    expect(clientIp('::ffff:10.0.0.5', '203.0.113.9', ranges)).toBe('203.0.113.9');
    expect(clientIp('::1', '::ffff:203.0.113.9', ranges)).toBe('203.0.113.9');
    expect(clientIp('2001:db8::1', '203.0.113.9', ranges)).toBe('2001:db8::1');
    expect(clientIp('::1', '[2001:db8::7]:4711', ranges)).toBe('2001:db8::7');
    expect(clientIp('::1', '203.0.113.9:4711', ranges)).toBe('203.0.113.9');
    expect(clientIp('fe80::1%eth0', undefined, ranges)).toBe('fe80::1');
  });

  it('stops at the trusted proxy that passed on a malformed entry: only addresses come out', () => {
    expect(clientIp('10.0.0.2', '203.0.113.9, not-an-ip', trustOf('true'))).toBe('10.0.0.2');
    expect(clientIp('10.0.0.2', "203.0.113.9, ' OR 1=1 --", trustOf('10.0.0.0/8'))).toBe('10.0.0.2');
    expect(clientIp('10.0.0.2', '203.0.113.9,,', trustOf('2'))).toBe('10.0.0.2');
    expect(clientIp('10.0.0.2', 'unknown, 203.0.113.9', trustOf('2'))).toBe('203.0.113.9');
  });

  it('is empty only when the socket has no address', () => {
    expect(clientIp(undefined, '203.0.113.9', trustOf('true'))).toBe('');
  });
});

describe('clientProtocol', () => {
  it('is https on a TLS socket, and from X-Forwarded-Proto only when the peer is trusted', () => {
    expect(clientProtocol('198.51.100.4', undefined, true, trustOf('false'))).toBe('https');
    expect(clientProtocol('198.51.100.4', 'https', false, trustOf('false'))).toBe('http');
    expect(clientProtocol('10.0.0.2', 'https', false, trustOf('true'))).toBe('https');
    expect(clientProtocol('10.0.0.2', 'HTTPS', false, trustOf('10.0.0.0/8'))).toBe('https');
    expect(clientProtocol('198.51.100.4', 'https', false, trustOf('10.0.0.0/8'))).toBe('http');
  });

  it('takes the nearest value of a list and nothing but http or https', () => {
    expect(clientProtocol('10.0.0.2', 'https, http', false, trustOf('true'))).toBe('http');
    expect(clientProtocol('10.0.0.2', 'http, https', false, trustOf('true'))).toBe('https');
    expect(clientProtocol('10.0.0.2', 'gopher', false, trustOf('true'))).toBe('http');
  });
});
