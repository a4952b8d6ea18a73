/**
 * `npm run build` (and the first step of `npm start` and `npm run worker`): compiles the
 * service into `dist/` so that it runs under plain `node`, with no TypeScript loader in
 * the serving process.
 *
 * - `dist/main.js`, `dist/worker.js`: the project's own modules bundled by esbuild into one
 *   ES module each; dependencies stay external and load from node_modules as they are.
 * - `dist/lua/`: the Redis scripts of every module (each `lua/` folder under src/),
 *   which RedisScript reads next to the module that loads them.
 * - `dist/live-page/`: the live page's HTML, script and stylesheet, as the route serves them.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleLivePage, writeLivePage } from '../src/web/livePageBundle.ts';
import { NODE_BUNDLE_OPTIONS } from './nodeBundleOptions.ts';
import { copyRedisScripts } from './redisScripts.ts';

const ROOT = new URL('../', import.meta.url);
const DIST = new URL('./dist/', ROOT);

const started = performance.now();
await rm(DIST, { recursive: true, force: true });
await Promise.all([
  build({
    entryPoints: [
      fileURLToPath(new URL('./src/main.ts', ROOT)),
      fileURLToPath(new URL('./src/worker.ts', ROOT)),
    ],
    outdir: fileURLToPath(DIST),
    ...NODE_BUNDLE_OPTIONS,
    // Keeps each dynamic import() a chunk of its own, loaded when first needed (the
    // summariser's SDK and tokenizer, the live page's bundler), as it is from the sources.
    splitting: true,
    // Every output file sits in dist/ itself: modules find their files (lua/, live-page/)
    // relative to import.meta.url, which is the chunk's URL once bundled.
    chunkNames: '[name]-[hash]',
    sourcemap: true,
  }),
  copyRedisScripts(new URL('./lua/', DIST)),
  bundleLivePage().then((files) => writeLivePage(new URL('./live-page/', DIST), files)),
]);
console.error(`built dist/ in ${Math.round(performance.now() - started)} ms`);
