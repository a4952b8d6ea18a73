import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a request came from, as every per-client limit and every log line sees it.
 * Built once from TRUST_PROXY in the composition root and handed to each edge (GraphQL over
 * HTTP and SSE, the WebSocket upgrade, the REST routes, /metrics).
 */
export type ClientAddressOf = (req: IncomingMessage) => string;

/** What a request's address is when its socket has none left (closed before it was read). */
export const UNKNOWN_ADDRESS = 'unknown';

export function createClientAddressOf(trustedProxies: number): ClientAddressOf {
  return (req) =>
    clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
}

/**
 * `trustedProxies` reverse proxies each append the address of their peer to
 * `X-Forwarded-For`, so the last `trustedProxies` entries were written by them and the one
 * `trustedProxies` from the right is the client as the outermost proxy saw it. Everything
 * left of it was sent by the client and is never read.
 *
 * - 0: the socket's address; the header is ignored, so a client cannot choose its address.
 * - Fewer entries than `trustedProxies`: the socket's address.
 * - Several headers (node joins them with ", "), spaces around entries and empty entries are
 *   tolerated; a port (`1.2.3.4:5678`, `[2001:db8::1]:443`) is dropped.
 * - An entry at that position that is not an IP address (`unknown`, garbage): the socket's
 *   address. Skipping it instead would let an entry the client wrote slide into its place.
 * - Addresses are canonical: IPv6 compressed and lower-case, an IPv4-mapped IPv6 address
 *   (`::ffff:127.0.0.1`) as its IPv4 form, so one client has one address whichever way it
 *   arrives.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: number,
): string {
  const own = socketAddress ? fromSocket(socketAddress) : UNKNOWN_ADDRESS;
  if (trustedProxies === 0 || forwardedFor === undefined) return own;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const entry = entries[entries.length - trustedProxies];
  if (entry === undefined) return own;
  return canonicalAddress(withoutPort(entry)) ?? own;
}

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/;
const IPV4_MAPPED_DOTTED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const IPV4_MAPPED_HEX = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

function withoutPort(entry: string): string {
  return IPV4_WITH_PORT.exec(entry)?.[1] ?? BRACKETED.exec(entry)?.[1] ?? entry;
}

/** Node already formats a socket's address canonically; only a mapped IPv4 is folded. */
function fromSocket(address: string): string {
  return IPV4_MAPPED_DOTTED.exec(address)?.[1] ?? address;
}

/** The canonical text of an IP address, or undefined when `text` is not one. */
export function canonicalAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  // The WHATWG URL parser writes an IPv6 host canonically (RFC 5952: compressed,
  // lower-case) and a mapped IPv4 as two hex groups; node:net's SocketAddress would do the
  // same but costs ~8 µs against ~1 µs. Zone ids (`%eth0`) are refused by the parser.
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname;
  } catch {
    return undefined; // not an IPv6 literal: no address to take from it
  }
  const mapped = IPV4_MAPPED_HEX.exec(host);
  if (mapped) {
    const high = Number.parseInt(mapped[1] as string, 16);
    const low = Number.parseInt(mapped[2] as string, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return host.slice(1, -1);
}
