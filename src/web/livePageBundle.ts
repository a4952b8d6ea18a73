import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The live page's browser code bundled by esbuild: the script and the stylesheet under
 * content-hashed names, and page.html naming them. `npm run build` writes it into `dist/`;
 * the route bundles it in memory when the service runs from its TypeScript sources.
 */

const PAGE_FILE = fileURLToPath(new URL('./page.html', import.meta.url));
const SCRIPT_ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));
const STYLE_ENTRY = fileURLToPath(new URL('./styles.css', import.meta.url));

/** The names page.html uses; each is swapped for its content-hashed name when bundled. */
const PLAIN_NAMES: Record<string, string> = { '.js': '/assets/app.js', '.css': '/assets/app.css' };

export interface LivePageFile {
  /** URL path: `/` for the page, `/assets/app.<hash>.<ext>` for the rest. */
  path: string;
  body: Buffer;
}

export function contentHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

export async function bundleLivePage(): Promise<LivePageFile[]> {
  // esbuild is a build tool: a compiled service never loads this module.
  const { build } = await import('esbuild');
  const [result, html] = await Promise.all([
    build({
      entryPoints: [
        { in: SCRIPT_ENTRY, out: 'app' },
        { in: STYLE_ENTRY, out: 'app' },
      ],
      outdir: 'assets', // required for two outputs; nothing is written
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      // graphql's modules read process.env.NODE_ENV; the browser has no `process`.
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    }),
    readFile(PAGE_FILE, 'utf8'),
  ]);

  const files: LivePageFile[] = [];
  let page = html;
  for (const file of result.outputFiles) {
    const extension = extname(file.path);
    const plainName = PLAIN_NAMES[extension];
    if (!plainName) continue;
    const body = Buffer.from(file.contents);
    const path = `/assets/app.${contentHash(body)}${extension}`;
    files.push({ path, body });
    if (!page.includes(`"${plainName}"`)) throw new Error(`page.html does not load ${plainName}`);
    page = page.replaceAll(`"${plainName}"`, `"${path}"`);
  }
  files.push({ path: '/', body: Buffer.from(page) });
  return files;
}

/** The directory layout `npm run build` writes: `index.html` for `/`, `assets/` as served. */
function fileName(path: string): string {
  return path === '/' ? 'index.html' : path.slice(1);
}

export async function writeLivePage(directory: URL, files: LivePageFile[]): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(new URL('./assets/', directory), { recursive: true });
  await Promise.all(
    files.map((file) => writeFile(new URL(fileName(file.path), directory), file.body)),
  );
}

export async function readLivePage(directory: URL): Promise<LivePageFile[]> {
  const assets = await readdir(new URL('./assets/', directory));
  const paths = ['/', ...assets.map((name) => `/assets/${name}`)];
  return Promise.all(
    paths.map(async (path) => ({ path, body: await readFile(new URL(fileName(path), directory)) })),
  );
}
