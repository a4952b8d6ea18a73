import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type DocumentNode, Kind, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { generateArtifacts } from '../codegen.ts';
import persistedDocuments from '../persisted-documents.json' with { type: 'json' };
import * as generated from '../src/generated/graphql.ts';

describe('generated files', () => {
  it('schema.graphql, the typed documents and persisted-documents.json match what npm run codegen produces now', async () => {
    const paths = [];
    for (const artifact of await generateArtifacts()) {
      paths.push(artifact.path);
      const committed = readFileSync(new URL(`../${artifact.path}`, import.meta.url), 'utf8');
      expect(committed, `${artifact.path} is stale: run npm run codegen`).toBe(artifact.content);
    }
    expect(paths).toContain('persisted-documents.json');
  });

  it('each operation document carries the sha256 of its printed text, and the manifest maps that hash to that text', () => {
    const operations = Object.values(generated).filter(
      (value): value is DocumentNode & { __meta__?: { hash?: string } } =>
        typeof value === 'object' &&
        value !== null &&
        'definitions' in value &&
        (value as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION),
    );
    const manifest: Record<string, string> = persistedDocuments;
    expect(operations.length).toBe(Object.keys(manifest).length);
    for (const document of operations) {
      const text = print(document);
      const hash = createHash('sha256').update(text).digest('hex');
      expect(document.__meta__?.hash).toBe(hash);
      expect(manifest[hash]).toBe(text);
    }
  });
});
