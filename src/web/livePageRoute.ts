import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Route } from '../http/httpServer.ts';
import { bundleLivePage, contentHash, type LivePageFile, readLivePage } from './livePageBundle.ts';

/**
 * The live page at `/`: a static HTML shell plus one script and one stylesheet under
 * `/assets/`. The compiled service (`npm start`) serves the files `npm run build` wrote
 * next to it (`dist/live-page/`) and never loads esbuild; run from its TypeScript sources
 * (`npm run dev`, the tests), it bundles the browser code (`client/*.ts`) in memory on the
 * first request instead, so that an edit shows on the next restart without a build step.
 *
 * Caching: asset names carry a hash of their content and are cached for a year as
 * immutable; the HTML that names them is revalidated on every load (`no-cache` + ETag), so a
 * new deployment reaches browsers at once while unchanged assets are never fetched twice.
 */

/** This module runs as TypeScript (tsx, vitest) rather than from the bundle in `dist/`. */
const RUNNING_SOURCES = import.meta.url.endsWith('.ts');
const BUILT_DIRECTORY = new URL('./live-page/', import.meta.url);

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

/** The page's files, keyed by path, with their headers. */
async function loadPage(): Promise<Map<string, Asset>> {
  const files: LivePageFile[] = RUNNING_SOURCES
    ? await bundleLivePage()
    : await readLivePage(BUILT_DIRECTORY).catch((error: unknown) => {
        throw new Error('its files are missing from dist/live-page (npm run build writes them)', {
          cause: error,
        });
      });
  return new Map(
    files.map((file) => {
      const extension = file.path === '/' ? '.html' : extname(file.path);
      return [file.path, asset(file.body, extension, file.path === '/' ? REVALIDATE : IMMUTABLE)];
    }),
  );
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
    built ??= loadPage().catch((error: unknown) => {
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
