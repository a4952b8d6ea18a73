import { describe, expect, it } from 'vitest';
import { InvalidDomainError, normaliseDomain } from '../src/domain.ts';

describe('normaliseDomain', () => {
  it.each([
    ['https://www.Acme.com/about?x=1', 'acme.com'],
    ['acme.com.', 'acme.com'],
    ['ACME.COM', 'acme.com'],
    ['www.acme.com:443', 'acme.com'],
    [' acme.com ', 'acme.com'],
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

  describe('control characters', () => {
    // One of each class: NUL, tab, line feed, carriage return, the last C0 control, DEL.
    const CONTROLS = ['\u0000', '\t', '\n', '\r', '\u001f', '\u007f'];
    const PLACES = {
      start: (c: string) => `${c}acme.com`,
      middle: (c: string) => `acme${c}.com`,
      end: (c: string) => `acme.com${c}`,
      'end, behind spaces': (c: string) => ` acme.com${c} `,
    };
    const cases = CONTROLS.flatMap((c) =>
      Object.entries(PLACES).map(([place, put]) => [JSON.stringify(c), place, put(c), c] as const),
    );

    it.each(cases)('refuses %s at the %s', (_c, _place, input, c) => {
      const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      expect(() => normaliseDomain(input)).toThrow(InvalidDomainError);
      expect(() => normaliseDomain(input)).toThrow(`contains the control character ${code}`);
    });

    it('is not fooled by remembered inputs: the clean domain is remembered, the dirty one refused', () => {
      expect(normaliseDomain('remembered.com')).toBe('remembered.com');
      expect(normaliseDomain('remembered.com')).toBe('remembered.com');
      for (let i = 0; i < 2; i++) {
        expect(() => normaliseDomain('remembered.com\u0000')).toThrow(InvalidDomainError);
        expect(() => normaliseDomain('\nremembered.com')).toThrow(InvalidDomainError);
      }
    });

    it('names the character and shows the input with it escaped, never raw', () => {
      let message = '';
      try {
        normaliseDomain('acme.com\r\nSET x y');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        '"acme.com\\u000D\\u000ASET x y" is not a valid company domain: it contains the control character U+000D',
      );
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the message must not echo any control character back.
      expect(message).not.toMatch(/[\u0000-\u001f\u007f]/);
    });

    it('still trims surrounding spaces', () => {
      expect(normaliseDomain('  acme.com  ')).toBe('acme.com');
    });
  });
});
