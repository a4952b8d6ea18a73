import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The service entry (serviceMain.ts) bundled by esbuild into plain JavaScript, to run under
 * `node` without tsx's on-the-fly loader (which holds ~100 MB of RSS of its own: a loader
 * thread with its own V8 isolate, esbuild, and the transformed sources). Dependencies stay
 * external and load from node_modules; only the project's own modules are bundled. The
 * directory is ignored by git (bench/results/*.tmp).
 */
const OUT_DIR = new URL('../results/service-build.tmp/', import.meta.url);

let built: Promise<URL> | undefined;

/** Builds once per suite run; resolves to the bundle's URL. */
export function serviceBundle(): Promise<URL> {
  built ??= (async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const outfile = new URL('./service.mjs', OUT_DIR);
    await build({
      entryPoints: [fileURLToPath(new URL('./serviceMain.ts', import.meta.url))],
      outfile: fileURLToPath(outfile),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    // RedisScript reads its Lua files next to the module that loads them.
    cpSync(new URL('../../src/kv/lua/', import.meta.url), new URL('./lua/', OUT_DIR), {
      recursive: true,
    });
    return outfile;
  })();
  return built;
}
