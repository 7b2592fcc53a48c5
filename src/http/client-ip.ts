import net from 'node:net';
import { normalizeIp, type TrustProxy } from '../config/index.js';

/** Whether the address `hop` steps away from Porta (0 = the socket's peer) is a proxy Porta trusts. */
export type ProxyTrust = (address: string, hop: number) => boolean;

export function compileTrust(trust: TrustProxy): ProxyTrust {
  if (trust.kind === 'none') return () => false;
  if (trust.kind === 'hops') return (_address, hop) => hop < trust.hops;
  const list = new net.BlockList();
  for (const range of trust.ranges) {
    const [address, prefix] = range.split('/') as [string, string];
    list.addSubnet(address, Number(prefix), net.isIPv4(address) ? 'ipv4' : 'ipv6');
  }
  return (address) => list.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');
}

/**
 * The client's address. X-Forwarded-For lists the addresses each proxy saw, the nearest last, and the
 * socket's peer comes after it; the client is the first address, walking from the right, that is not
 * a trusted proxy. Entries left of it are whatever the client sent and are never believed. A malformed
 * entry stops the walk at the trusted proxy that passed it on. Addresses come back normalized
 * (IPv4-mapped IPv6 as IPv4), so the rate limits and the audit see one form.
 */
export function clientIp(peer: string | undefined, forwardedFor: string | undefined, trust: ProxyTrust): string {
  let client = normalizeIp(peer ?? '') ?? '';
  if (client === '' || !forwardedFor) return client;
  const entries = forwardedFor.split(',');
  for (let hop = 0; trust(client, hop) && entries.length > 0; hop++) {
    const next = forwardedAddress(entries.pop()!);
    if (!next) break;
    client = next;
  }
  return client;
}

/** `https` when the connection is TLS, or when a trusted peer says so in X-Forwarded-Proto (its nearest value). */
export function clientProtocol(peer: string | undefined, forwardedProto: string | undefined, isTls: boolean, trust: ProxyTrust): 'http' | 'https' {
  if (isTls) return 'https';
  const address = normalizeIp(peer ?? '');
  if (!address || !forwardedProto || !trust(address, 0)) return 'http';
  const nearest = forwardedProto.split(',').at(-1)!.trim().toLowerCase();
  return nearest === 'https' ? 'https' : 'http';
}

/** An X-Forwarded-For entry: an address, optionally `1.2.3.4:port` or `[v6]:port` as some proxies write it. */
function forwardedAddress(entry: string): string | undefined {
  const value = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return normalizeIp(bracketed[1]!);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  return normalizeIp(v4WithPort ? v4WithPort[1]! : value);
}
