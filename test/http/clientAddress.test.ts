import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  clientAddress,
  createClientAddressOf,
  UNKNOWN_ADDRESS,
} from '../../src/http/clientAddress.ts';

const SOCKET = '10.0.0.5';

describe('clientAddress', () => {
  it('is the socket address with TRUST_PROXY=0, whatever X-Forwarded-For says', () => {
    expect(clientAddress(SOCKET, undefined, 0)).toBe(SOCKET);
    expect(clientAddress(SOCKET, '203.0.113.7', 0)).toBe(SOCKET);
    expect(clientAddress(SOCKET, '203.0.113.7, 198.51.100.1', 0)).toBe(SOCKET);
  });

  it('is the N-th address from the right with TRUST_PROXY=N', () => {
    const header = '192.0.2.1, 203.0.113.7, 198.51.100.1';
    expect(clientAddress(SOCKET, header, 1)).toBe('198.51.100.1');
    expect(clientAddress(SOCKET, header, 2)).toBe('203.0.113.7');
    expect(clientAddress(SOCKET, header, 3)).toBe('192.0.2.1');
  });

  it('is the socket address when there are fewer entries than N, or no header', () => {
    expect(clientAddress(SOCKET, '203.0.113.7, 198.51.100.1', 3)).toBe(SOCKET);
    expect(clientAddress(SOCKET, '203.0.113.7', 2)).toBe(SOCKET);
    expect(clientAddress(SOCKET, undefined, 1)).toBe(SOCKET);
    expect(clientAddress(SOCKET, '', 1)).toBe(SOCKET);
  });

  it('reads several headers as node joins them, with spaces and empty entries', () => {
    // Three header lines, the last empty, as node hands them over.
    expect(clientAddress(SOCKET, '192.0.2.1, 203.0.113.7 ,198.51.100.1, ', 1)).toBe('198.51.100.1');
    expect(clientAddress(SOCKET, ' 192.0.2.1 ,, 203.0.113.7 ', 2)).toBe('192.0.2.1');
    expect(clientAddress(SOCKET, ['192.0.2.1', '203.0.113.7'], 2)).toBe('192.0.2.1');
  });

  it('treats an entry that is not an address as unknown: the socket address, never an entry further left', () => {
    for (const garbage of ['unknown', 'not-an-ip', '1.2.3.256', '1.2.3', '_hidden', '"1.2.3.4"']) {
      expect(clientAddress(SOCKET, `192.0.2.1, ${garbage}`, 1), garbage).toBe(SOCKET);
    }
    // A bracketed host that would read as another host to a URL parser is not an address.
    expect(clientAddress(SOCKET, '2001:db8::1]@evil.example/[', 1)).toBe(SOCKET);
  });

  it('drops a port', () => {
    expect(clientAddress(SOCKET, '203.0.113.7:51234', 1)).toBe('203.0.113.7');
    expect(clientAddress(SOCKET, '[2001:db8::7]:443', 1)).toBe('2001:db8::7');
    expect(clientAddress(SOCKET, '[2001:db8::7]', 1)).toBe('2001:db8::7');
  });

  it('writes IPv6 canonically and IPv4-mapped IPv6 as IPv4, from the header and the socket', () => {
    expect(clientAddress(SOCKET, '2001:DB8:0:0:0:0:0:7', 1)).toBe('2001:db8::7');
    expect(clientAddress(SOCKET, '::ffff:203.0.113.7', 1)).toBe('203.0.113.7');
    expect(clientAddress(SOCKET, '::FFFF:cb00:7107', 1)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:127.0.0.1', undefined, 0)).toBe('127.0.0.1');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.7', 2)).toBe('127.0.0.1');
    expect(clientAddress('::1', undefined, 0)).toBe('::1');
    expect(clientAddress('2001:db8::5', 'nonsense', 1)).toBe('2001:db8::5');
  });

  it('names a socket that has no address left', () => {
    expect(clientAddress(undefined, undefined, 0)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress(undefined, 'garbage', 1)).toBe(UNKNOWN_ADDRESS);
  });

  it('reads the request: its socket and its X-Forwarded-For header', () => {
    const request = (remoteAddress: string, forwardedFor?: string) =>
      ({
        socket: { remoteAddress },
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      }) as unknown as IncomingMessage;
    expect(createClientAddressOf(0)(request(SOCKET, '203.0.113.7'))).toBe(SOCKET);
    expect(createClientAddressOf(1)(request(SOCKET, '203.0.113.7'))).toBe('203.0.113.7');
    expect(createClientAddressOf(1)(request(SOCKET))).toBe(SOCKET);
  });
});

describe('canonicalAddress', () => {
  it.each([
    ['198.51.100.1', '198.51.100.1'],
    ['2001:0DB8::0001', '2001:db8::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
  ])('%s is %s', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });

  it.each(['', 'localhost', '1.2.3.4.5', '01.2.3.4', '::g', 'fe80::1%eth0', '[::1]'])(
    'refuses %j',
    (input) => {
      expect(canonicalAddress(input)).toBeUndefined();
    },
  );
});
