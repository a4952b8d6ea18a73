import { describe, expect, it } from 'vitest';
import { InvalidDomainError, normaliseDomain } from '../src/domain.ts';

describe('normaliseDomain', () => {
  it.each([
    ['https://www.Acme.com/about?x=1', 'acme.com'],
    ['acme.com.', 'acme.com'],
    ['ACME.COM', 'acme.com'],
    ['www.acme.com:443', 'acme.com'],
    [' acme.com ', 'acme.com'],
    ['\tacme.com\n', 'acme.com'],
    ['http://acme.com', 'acme.com'],
    ['https://acme.com:8443/path#frag', 'acme.com'],
    ['sub.acme.com', 'sub.acme.com'],
    ['www.sub.acme.com', 'sub.acme.com'],
    ['shop.acme.co.uk', 'shop.acme.co.uk'],
    ['www.acme.co.uk', 'acme.co.uk'],
    ['www.com', 'www.com'],
    ['www.co.uk', 'www.co.uk'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['https://MÜNCHEN.de/', 'xn--mnchen-3ya.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a-b.io', 'a-b.io'],
  ])('%j means %s', (input, expected) => {
    expect(normaliseDomain(input)).toBe(expected);
  });

  it('accepts a hostname of exactly 253 characters and labels of 63', () => {
    const label = 'a'.repeat(63);
    const host = `${label}.${label}.${label}.${'b'.repeat(57)}.com`;
    expect(host).toHaveLength(253);
    expect(normaliseDomain(host)).toBe(host);
  });

  it.each([
    '',
    '   ',
    'acme com',
    'ac\tme.com',
    '*',
    '*.acme.com',
    'acme.com:abc',
    '1.2.3.4',
    '127.0.0.1',
    '[::1]',
    'http://[2001:db8::1]/',
    '0x7f.1',
    'localhost',
    'LOCALHOST.',
    'api.localhost',
    'printer.local',
    'com',
    'co.uk',
    'acme',
    `${'a'.repeat(64)}.com`,
    `${'abcdefghi.'.repeat(26)}com`,
    'acme..com',
    '-acme.com',
    'acme-.com',
    'acme_corp.com',
    'ftp://acme.com',
    'javascript:alert(1)',
    'acme.com%2F..%2Fother',
    'acme.com:99999',
    'acme.123',
    'http://',
  ])('refuses %j with a clear message', (input) => {
    expect(() => normaliseDomain(input)).toThrow(InvalidDomainError);
    expect(() => normaliseDomain(input)).toThrow(/is not a valid company domain: .+/);
  });
});
