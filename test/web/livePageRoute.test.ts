import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Route } from '../../src/http/httpServer.ts';
import { createLivePageRoute } from '../../src/web/livePageRoute.ts';

// The real esbuild, watched: the tests count builds and make one fail.
vi.mock('esbuild', async (importOriginal) => {
  const real = await importOriginal<typeof import('esbuild')>();
  return { ...real, build: vi.fn(real.build) };
});

/** The route alone on a server; anything it passes on answers 418. */
async function serve(route: Route): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!(await route(req, res, url))) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

describe('the live page route', () => {
  const servers: Server[] = [];
  beforeEach(() => {
    // Braces matter: a function returned from beforeEach is run as its teardown.
    vi.mocked(build).mockClear();
  });
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  async function start(): Promise<string> {
    const { url, server } = await serve(createLivePageRoute());
    servers.push(server);
    return url;
  }

  it('bundles once, on the first request, and keeps the result in its own closure', async () => {
    const url = await start();
    expect(build).not.toHaveBeenCalled(); // nothing is built until someone asks
    const pages = await Promise.all([fetch(`${url}/`), fetch(`${url}/`), fetch(`${url}/`)]);
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    const html = await pages[0]?.text();
    const script = html?.match(/src="(\/assets\/app\.[0-9a-f]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(1);
    expect(vi.mocked(build).mock.calls[0]?.[0]).toMatchObject({
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
    });

    // Another route (another app) has its own build: nothing is shared at module level.
    const other = await start();
    expect((await fetch(`${other}/`)).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('answers 500 with a short text when bundling fails, and tries again next time', async () => {
    vi.mocked(build).mockRejectedValueOnce(
      Object.assign(new Error('Build failed with 1 error'), {
        errors: [{ text: 'Could not resolve "graphql-ws"' }],
      }),
    );
    const url = await start();
    const failed = await fetch(`${url}/`);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await failed.text()).toBe(
      'The live page could not be built: Could not resolve "graphql-ws"\n',
    );
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('passes on what is not the page', async () => {
    const url = await start();
    expect((await fetch(`${url}/graphql`)).status).toBe(418);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(418);
    expect((await fetch(`${url}/assets/nothing.js`)).status).toBe(404);
    expect(build).toHaveBeenCalledTimes(1); // the 404 needed the asset list; the rest did not
  });
});
