import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateArtifacts } from '../codegen.ts';

describe('generated files', () => {
  it('schema.graphql and the typed documents match what npm run codegen produces now', async () => {
    for (const artifact of await generateArtifacts()) {
      const committed = readFileSync(new URL(`../${artifact.path}`, import.meta.url), 'utf8');
      expect(committed, `${artifact.path} is stale: run npm run codegen`).toBe(artifact.content);
    }
  });
});
