import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Route } from '../http/httpServer.ts';

/**
 * The live page at `/`: a static HTML shell plus one script and one stylesheet under
 * `/assets/`. The browser code (`client/*.ts`) is bundled by esbuild in memory on the first
 * request, so the service needs no build step and a server that never shows the page never
 * pays for one.
 *
 * Caching: asset names carry a hash of their content and are cached for a year as
 * immutable; the HTML that names them is revalidated on every load (`no-cache` + ETag), so a
 * new deployment reaches browsers at once while unchanged assets are never fetched twice.
 */

const PAGE_FILE = fileURLToPath(new URL('./page.html', import.meta.url));
const SCRIPT_ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));
const STYLE_ENTRY = fileURLToPath(new URL('./styles.css', import.meta.url));

/** The names page.html uses; each is swapped for its content-hashed name when built. */
const PLAIN_NAMES: Record<string, string> = { '.js': '/assets/app.js', '.css': '/assets/app.css' };

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * Everything the page loads comes from this origin (the machine may be offline, and the
 * page handles a bearer token). `connect-src 'self'` covers the same-host ws:/wss: socket.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  /** Only kept when it is actually smaller. */
  gzipped?: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

function asset(body: Buffer, extension: string, cacheControl: string): Asset {
  const gzipped = gzipSync(body);
  return {
    body,
    ...(gzipped.length < body.length ? { gzipped } : {}),
    contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    cacheControl,
    etag: `"${contentHash(body)}"`,
  };
}

function contentHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** Bundles the client and fills the hashed asset names into the HTML; keyed by path. */
async function buildPage(): Promise<Map<string, Asset>> {
  // Loaded on the first page request only: a server nobody opens the page of never pays for it.
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

  const assets = new Map<string, Asset>();
  let page = html;
  for (const file of result.outputFiles) {
    const extension = extname(file.path);
    const plainName = PLAIN_NAMES[extension];
    if (!plainName) continue;
    const body = Buffer.from(file.contents);
    const path = `/assets/app.${contentHash(body)}${extension}`;
    assets.set(path, asset(body, extension, IMMUTABLE));
    if (!page.includes(`"${plainName}"`)) throw new Error(`page.html does not load ${plainName}`);
    page = page.replaceAll(`"${plainName}"`, `"${path}"`);
  }
  assets.set('/', asset(Buffer.from(page), '.html', REVALIDATE));
  return assets;
}

function send(req: IncomingMessage, res: ServerResponse, file: Asset): void {
  const headers: Record<string, string> = {
    'content-type': file.contentType,
    'cache-control': file.cacheControl,
    etag: file.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (file.contentType.startsWith('text/html')) {
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['referrer-policy'] = 'same-origin';
  }
  if (etagMatches(req.headers['if-none-match'], file.etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip && file.gzipped ? file.gzipped : file.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res
    .writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(`${text}\n`);
}

export function createLivePageRoute(): Route {
  // One build per route, shared by concurrent first requests. A failed build is not kept:
  // the next request tries again instead of serving the failure until a restart.
  let built: Promise<Map<string, Asset>> | undefined;
  const load = () => {
    built ??= buildPage().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };

  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname !== '/' && !url.pathname.startsWith('/assets/')) return false;

    let assets: Map<string, Asset>;
    try {
      assets = await load();
    } catch (error) {
      sendText(res, 500, `The live page could not be built: ${firstLine(error)}`);
      return true;
    }
    const file = assets.get(url.pathname);
    if (file) send(req, res, file);
    else sendText(res, 404, 'Not found');
    return true;
  };
}

/** esbuild's failure lists every error; the first is enough to act on. */
function firstLine(error: unknown): string {
  const errors = (error as { errors?: Array<{ text?: unknown }> } | null)?.errors;
  const text = errors?.[0]?.text;
  if (typeof text === 'string') return text;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? 'unknown error';
}
