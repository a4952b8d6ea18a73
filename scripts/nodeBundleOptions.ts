import type { BuildOptions } from 'esbuild';

/**
 * How the service's modules are bundled to run under plain node: one ES module per entry,
 * dependencies left external (they load from node_modules as they are). Shared by
 * `npm run build` and by the tests and benchmarks that bundle a module the same way.
 */
export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;
