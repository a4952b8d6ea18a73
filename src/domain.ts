import { isIP } from 'node:net';
import { getPublicSuffix } from 'tldts';

/**
 * Turns what a user typed (a website, a URL, a domain in any case) into the one domain a
 * run is keyed by, or explains why it is not a public company domain. The result is safe
 * to embed in a key: only [a-z0-9.-] survive.
 */

export class InvalidDomainError extends Error {
  override name = 'InvalidDomainError';
}

const MAX_INPUT_LENGTH = 2048;
const MAX_HOSTNAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const RESERVED_TLDS = new Set(['localhost', 'local', 'internal', 'invalid', 'arpa', 'home', 'lan']);
/** C0 controls and DEL. The URL parser would silently strip or drop them; we refuse them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters in the input is this pattern's whole job.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Inputs seen lately and their domains. Each polling client sends the same domain every
 * 2 s, and parsing it (a URL, then the public-suffix list) costs more than the lookup.
 * Only short inputs that normalise are kept, and the memory starts over when it is full.
 */
const recentDomains = new Map<string, string>();
const RECENT_LIMIT = 10_000;

export function normaliseDomain(input: string): string {
  // Before the memory and before trimming: "acme.com\u0000" or "\tacme.com" is refused, not
  // read as acme.com, whatever was remembered for another input.
  assertNoControlCharacter(input);
  const known = recentDomains.get(input);
  if (known !== undefined) return known;
  const domain = normalise(input);
  if (input.length <= MAX_HOSTNAME_LENGTH) {
    if (recentDomains.size >= RECENT_LIMIT) recentDomains.clear();
    recentDomains.set(input, domain);
  }
  return domain;
}

function assertNoControlCharacter(input: string): void {
  const found = CONTROL_CHARACTER.exec(input);
  if (found) {
    throw invalid(input, `it contains the control character ${codePoint(found[0])}`);
  }
}

function normalise(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw invalid(input, 'it is empty');
  if (trimmed.length > MAX_INPUT_LENGTH) throw invalid(input, 'it is too long');
  if (/\s/.test(trimmed)) throw invalid(input, 'it contains spaces');
  if (trimmed.includes('*')) throw invalid(input, 'wildcards are not allowed');

  const hostname = parseHostname(trimmed, input).replace(/\.$/, '');
  assertPublicHostname(hostname, input);
  return dropLeadingWww(hostname);
}

function parseHostname(trimmed: string, input: string): string {
  const withScheme = HAS_SCHEME.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(input, 'it is not a website or domain');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(input, 'only http and https websites are accepted');
  }
  // The WHATWG parser lower-cases, turns IDNs into punycode and normalises IPv4 forms.
  return url.hostname;
}

function assertPublicHostname(hostname: string, input: string): void {
  if (hostname === '') throw invalid(input, 'it has no host name');
  if (hostname.startsWith('[') || isIP(hostname) !== 0) {
    throw invalid(input, 'IP addresses are not company domains');
  }
  if (hostname.length > MAX_HOSTNAME_LENGTH) {
    throw invalid(input, `it is longer than ${MAX_HOSTNAME_LENGTH} characters`);
  }
  const labels = hostname.split('.');
  if (labels.length < 2) throw invalid(input, 'a company domain has at least two labels');
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      throw invalid(input, `a label is longer than ${MAX_LABEL_LENGTH} characters`);
    }
    if (label === '') throw invalid(input, 'it has an empty label');
    if (!LABEL.test(label)) throw invalid(input, `"${clip(label)}" is not a valid label`);
  }
  const tld = labels[labels.length - 1] as string;
  if (/^\d+$/.test(tld)) throw invalid(input, 'IP addresses are not company domains');
  if (RESERVED_TLDS.has(tld)) throw invalid(input, `.${tld} is not a public domain`);
  if (getPublicSuffix(hostname) === hostname) {
    throw invalid(input, 'it is a public suffix, not a company domain');
  }
}

/** `www.acme.com` means `acme.com`, but `www.com` stays: `com` alone is no company. */
function dropLeadingWww(hostname: string): string {
  if (!hostname.startsWith('www.')) return hostname;
  const rest = hostname.slice(4);
  if (!rest.includes('.') || getPublicSuffix(rest) === rest) return hostname;
  return rest;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function hex4(character: string): string {
  return (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

function codePoint(character: string): string {
  return `U+${hex4(character)}`;
}

/** The input as shown in a message: control characters written as escapes, never raw. */
function printable(text: string): string {
  return text.replace(new RegExp(CONTROL_CHARACTER, 'g'), (c) => `\\u${hex4(c)}`);
}

function invalid(input: string, reason: string): InvalidDomainError {
  return new InvalidDomainError(
    `"${clip(printable(input).trim())}" is not a valid company domain: ${reason}`,
  );
}
