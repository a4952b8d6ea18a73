import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A throwaway `redis-server` on a free loopback port, for tests and benchmarks. */
export interface RedisServerHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops the server and starts a new, empty one on the same port (a Redis restart). */
  restart(downForMs?: number): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `persistDir`: keep data in an append-only file there, so that a restart brings the data
 * back (a production Redis); without it a restart comes back empty.
 */
export async function startRedisServer(
  options: { persistDir?: string } = {},
): Promise<RedisServerHandle> {
  const port = await freePort();
  const launch = (p: number) => launchRedis(p, options.persistDir);
  let child = await launch(port);
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await terminate(child);
    },
    async restart(downForMs = 0) {
      await terminate(child);
      if (downForMs > 0) await new Promise((r) => setTimeout(r, downForMs));
      child = await launch(port);
    },
  };
  return handle;
}

async function launchRedis(port: number, persistDir?: string): Promise<ChildProcess> {
  const persistence = persistDir
    ? ['--dir', persistDir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      '--maxclients',
      '20000',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(`could not start redis-server (is it installed and on PATH?): ${error.message}`),
      ),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  await Promise.race([waitUntilAnswering(port), exited]);
  return child;
}

async function waitUntilAnswering(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Refused connections are expected until the server listens; the catch below retries.
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch {
      // Not listening yet: try again until the deadline.
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    // SIGTERM: a persistent Redis flushes its append-only file, as on a real restart.
    child.kill('SIGTERM');
  });
}
