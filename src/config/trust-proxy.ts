import net from 'node:net';

/**
 * Which peers may tell Porta the client's address and scheme (X-Forwarded-For, X-Forwarded-Proto):
 * nobody; the nearest `hops` proxies, whatever their address; or peers inside these ranges.
 */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  /** Normalized `address/prefix` entries, IPv4 and IPv6. */
  | { kind: 'ranges'; ranges: string[] };

export const MAX_TRUSTED_HOPS = 32;

const FALSE = new Set(['', 'false', '0', 'no']);
const TRUE = new Set(['true', 'yes']);

/** `TRUST_PROXY`: `true` (one hop), a hop count, or a comma list of addresses and CIDRs; else a problem. */
export function parseTrustProxy(raw: string | undefined): TrustProxy | { problem: string } {
  const value = (raw ?? '').trim();
  const lower = value.toLowerCase();
  if (FALSE.has(lower)) return { kind: 'none' };
  if (TRUE.has(lower)) return { kind: 'hops', hops: 1 };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_TRUSTED_HOPS) return { problem: `a hop count is at most ${MAX_TRUSTED_HOPS}` };
    return { kind: 'hops', hops };
  }
  const ranges: string[] = [];
  const invalid: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const range = parseRange(entry);
    if (range) ranges.push(range);
    else invalid.push(`"${entry}"`);
  }
  if (invalid.length > 0) {
    return { problem: `${invalid.join(', ')} is not true, false, a hop count or an IP address or CIDR range` };
  }
  return { kind: 'ranges', ranges };
}

/** `10.0.0.0/8`, `fd00::/8`, `192.0.2.7` (a /32) or `2001:db8::1` (a /128); IPv4-mapped IPv6 becomes IPv4. */
function parseRange(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = normalizeIp(slash === -1 ? entry : entry.slice(0, slash));
  if (!address) return undefined;
  const version = net.isIP(address);
  const max = version === 4 ? 32 : 128;
  if (slash === -1) return `${address}/${max}`;
  const prefixText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  if (entry.slice(0, slash).toLowerCase().startsWith('::ffff:') && version === 4) prefix -= 96;
  if (prefix < 0 || prefix > max) return undefined;
  return `${address}/${prefix}`;
}

/** A valid IP address in its plain form (no brackets, IPv4-mapped IPv6 as IPv4, no zone), or undefined. */
export function normalizeIp(value: string): string | undefined {
  let address = value.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const version = net.isIP(address);
  if (version === 0) return undefined;
  if (version === 4) return address;
  // A zone (`fe80::1%eth0`) names an interface of this host, not part of the address PostgreSQL stores.
  address = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && net.isIPv4(mapped[1]!)) return mapped[1];
  return address.toLowerCase();
}
