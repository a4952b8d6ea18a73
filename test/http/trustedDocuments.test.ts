import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { TrustedDocuments } from '../../src/http/trustedDocuments.ts';

const HASH = 'a'.repeat(64);
const DOCUMENT = 'query Q { __typename }';

/** A manifest loader that counts how often the manifest is read. */
function countingLoader() {
  const loader = {
    reads: 0,
    load: async () => {
      loader.reads += 1;
      return { [HASH]: DOCUMENT };
    },
  };
  return loader;
}

function codeOf(thrown: () => unknown): string | undefined {
  try {
    thrown();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('TrustedDocuments', () => {
  it('without enforcing, runs text as sent and reads the manifest only once a hash arrives', async () => {
    const loader = countingLoader();
    const documents = new TrustedDocuments({ enforce: false, load: loader.load });
    await documents.ready();
    expect(documents.documentOf({ query: '{ __typename }' })).toBe('{ __typename }');
    expect(loader.reads).toBe(0);

    expect(await documents.documentOf({ query: '', documentId: HASH })).toBe(DOCUMENT);
    // Once read, lookups answer at once, and the manifest is not read again.
    expect(documents.documentOf({ extensions: { persistedQuery: { sha256Hash: HASH } } })).toBe(
      DOCUMENT,
    );
    expect(loader.reads).toBe(1);
  });

  it('enforcing, reads the manifest before serving and refuses any text', async () => {
    const loader = countingLoader();
    const documents = new TrustedDocuments({ enforce: true, load: loader.load });
    await documents.ready();
    expect(loader.reads).toBe(1);
    expect(codeOf(() => documents.documentOf({ query: DOCUMENT }))).toBe('PERSISTED_QUERY_ONLY');
    // Text beside a known hash is still text.
    expect(codeOf(() => documents.documentOf({ query: DOCUMENT, documentId: HASH }))).toBe(
      'PERSISTED_QUERY_ONLY',
    );
    expect(documents.documentOf({ documentId: HASH })).toBe(DOCUMENT);
  });

  it.each([true, false])(
    'answers an unknown hash with PERSISTED_QUERY_NOT_FOUND (enforce %s)',
    async (enforce) => {
      const documents = new TrustedDocuments({ enforce, load: countingLoader().load });
      await documents.ready();
      for (const id of ['b'.repeat(64), '__proto__', 'constructor']) {
        await expect(
          Promise.resolve().then(() => documents.documentOf({ documentId: id })),
        ).rejects.toMatchObject({
          code: 'PERSISTED_QUERY_NOT_FOUND',
        });
      }
    },
  );

  it('leaves a request that names no document to the transport', async () => {
    const documents = new TrustedDocuments({ enforce: true, load: countingLoader().load });
    await documents.ready();
    expect(documents.documentOf({ query: '' })).toBeUndefined();
    expect(
      documents.documentOf({ documentId: 42, extensions: { persistedQuery: 'x' } }),
    ).toBeUndefined();
  });
});
