import ipaddr from 'ipaddr.js';
import type { RequestView } from '../request-view.js';

/**
 * Whether the hop at `address`, `hop` steps from this server (0 = the socket's peer), is a
 * proxy whose forwarding headers are believed. Express's compiled `trust proxy fn` has this shape.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * The `trustProxy` option, with Express's `trust proxy` semantics: `true` (every hop), a hop
 * count, addresses/CIDRs (a list or a comma-separated string; `loopback`, `linklocal` and
 * `uniquelocal` name their ranges), or a function.
 */
export type TrustProxyOption = boolean | number | string | readonly string[] | ProxyTrust;

const NAMED: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const NOBODY: ProxyTrust = () => false;

/**
 * Compiles the `trustProxy` option as Express compiles `trust proxy`. Throws a `TypeError`
 * naming an entry that is neither an address, a CIDR nor a range name.
 *
 * @example
 * ```ts
 * compileTrust(1)('10.0.0.1', 0); // true: the socket's peer is the one trusted hop
 * compileTrust('loopback, 10.0.0.0/8')('10.1.2.3', 1); // true
 * ```
 */
export function compileTrust(option: TrustProxyOption | undefined): ProxyTrust {
  if (option === undefined || option === false) return NOBODY;
  if (option === true) return () => true;
  if (typeof option === 'function') return option;
  if (typeof option === 'number') return (_address, hop) => hop < option;
  const entries = (typeof option === 'string' ? option.split(',') : option).map((entry) => entry.trim()).filter(Boolean);
  const ranges = entries.flatMap((entry) => NAMED[entry] ?? [entry]).map(parseRange);
  if (ranges.length === 0) return NOBODY;
  return (address) => {
    const ip = parse(address);
    if (ip === undefined) return false;
    // An IPv4-mapped IPv6 peer (a dual-stack server) matches IPv4 ranges as its IPv4 address.
    const v4 = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : undefined;
    for (const [range, bits] of ranges) {
      const candidate = ip.kind() === range.kind() ? ip : v4;
      if (candidate !== undefined && candidate.kind() === range.kind() && candidate.match(range, bits)) return true;
    }
    return false;
  };
}

function parseRange(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
  if (ipaddr.isValid(entry)) {
    const ip = ipaddr.parse(entry);
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  }
  throw new TypeError(`"${entry}" is not an IP address, a CIDR such as 10.0.0.0/8, or one of loopback, linklocal, uniquelocal`);
}

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.parse(address);
  } catch {
    return undefined;
  }
}

/**
 * The addresses a request passed through, nearest first: the socket's peer, then the hops of
 * one header, right to left: `X-Forwarded-For` by default (what Express's `req.ip`, Koa's
 * `ctx.ip` and Fastify's `request.ip` read), `Forwarded` (RFC 7239 `for=`) when told, or another
 * comma-separated list. Only that header: a proxy appends to the one it writes and passes the
 * others on as the client sent them, so reading a second header would let a client choose its hops.
 */
function forwardedHops(view: RequestView, header: string): string[] {
  const value = view.header(header);
  if (value === undefined) return [];
  // Empty entries (`a,,b`, a trailing comma) are no hops, as for Express's req.ip (proxy-addr).
  if (header !== 'forwarded') return value.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '').reverse();
  const hops: string[] = [];
  for (const element of value.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      const hop = pair.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (hop !== '') hops.push(hop);
    }
  }
  return hops.reverse();
}

/** Drops a port (`1.2.3.4:80`, `[::1]:80`) and IPv6 brackets, as proxies write them in `Forwarded`. */
function host(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end === -1 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}

/** Longer values are cut here: an untrusted hop could otherwise be any header's length. */
const MAX_RAW = 64;

/**
 * A client's address as a limit counts it: IPv4 as written (an IPv4-mapped IPv6 address is
 * its IPv4 address), IPv6 as its `/prefix` network (`2001:db8:0:100::/56`), so a client
 * cannot mint a fresh key per request from its /64. Text that is no address is kept, cut to 64 characters.
 *
 * @example
 * ```ts
 * clientKey('::ffff:1.2.3.4', 56); // '1.2.3.4'
 * clientKey('2001:db8:0:1ab::1', 56); // '2001:db8:0:100::/56'
 * ```
 */
export function clientKey(address: string, prefix: number): string {
  // No colon: IPv4, or text that is no address; either way the key is the text itself.
  if (address.indexOf(':') === -1) return address.length <= MAX_RAW ? address : address.slice(0, MAX_RAW);
  const ip = parse(address);
  if (ip === undefined) return address.slice(0, MAX_RAW);
  if (ip.kind() === 'ipv4') return ip.toString();
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  if (prefix >= 128) return new ipaddr.IPv6(v6.parts).toString();
  const parts = v6.parts.map((part, i) => {
    const keep = Math.min(16, Math.max(0, prefix - i * 16));
    return keep === 0 ? 0 : part & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${new ipaddr.IPv6(parts).toString()}/${prefix}`;
}

/** Reads the client's address of a request, as far as the trusted proxies allow. */
export interface ClientAddress {
  /** The request's client, grouped as {@link clientKey} does. */
  read(view: RequestView): string;
  /** An address written in a rule (a `limitByOverrides` value), grouped the same way. */
  key(address: string): string;
}

/**
 * The client address reader of an engine: the socket's peer, or, for each trusted hop, the
 * address that hop says it forwarded for (Express's `trust proxy` walk over `header`, lower
 * case); then grouped by {@link clientKey}. When the engine was given no trust of its own, a
 * view may bring the framework's: Express's `trust proxy` setting (`proxyTrust`), or the
 * framework's own reading of the client (`ipSource`: Koa's `app.proxy`, Fastify's `trustProxy`).
 *
 * @example
 * ```ts
 * const reader = clientAddressReader(compileTrust(1), 56, false, 'x-forwarded-for');
 * reader.read(requestView('GET', '/', { 'x-forwarded-for': '203.0.113.9' }, { remoteAddress: '10.0.0.1' })); // '203.0.113.9'
 * ```
 */
export function clientAddressReader(trust: ProxyTrust, prefix: number, explicit: boolean, header: string): ClientAddress {
  const read = (view: RequestView): string => {
    // The framework's address is the hop as the proxy wrote it: Koa and Fastify keep a port
    // (`203.0.113.1:40001`, as Azure Application Gateway writes), which is no part of the client.
    if (!explicit && view.ipSource !== undefined) return clientKey(host(view.ipSource.ip ?? ''), prefix);
    const peer = view.socket?.remoteAddress ?? '';
    const believe = explicit ? trust : (view.proxyTrust ?? trust);
    if (believe === NOBODY || !believe(peer, 0)) return clientKey(peer, prefix);
    const hops = forwardedHops(view, header);
    let client = peer;
    for (let i = 0; i < hops.length; i++) {
      client = host(hops[i]!);
      if (!believe(client, i + 1)) break;
    }
    return clientKey(client, prefix);
  };
  return { read, key: (address) => clientKey(address.replace(/^\[|\]$/g, ''), prefix) };
}
