import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * Child processes with a small request/response protocol over Node's IPC channel. The
 * service, the bare hello server and every client worker run in one each, so that their CPU
 * and memory can be read from /proc and no client shares an event loop with the server.
 */

type Handler = (params: never) => unknown;
export type Handlers = Record<string, Handler>;

interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  params: unknown;
}
interface ReplyMessage {
  kind: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}
interface ReadyMessage {
  kind: 'ready';
  info: unknown;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** What the child announced when it became ready (e.g. the URL it listens on). */
  readonly info: unknown;
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Asks politely (SIGTERM), then SIGKILLs after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/**
 * What children print (a server logging a client that vanished, say) goes to one log file
 * instead of the terminal, so that the table stays readable.
 */
export const CHILD_LOG = new URL('../results/children.log', import.meta.url);
let childLog: WriteStream | undefined;
let childLogLines = 0;

export function logOutput(name: string, stream: Readable | null): void {
  if (!stream) return;
  childLog ??= createWriteStream(CHILD_LOG, { flags: 'w' });
  const log = childLog;
  createInterface({ input: stream }).on('line', (line) => {
    childLogLines++;
    log.write(`${new Date().toISOString()} ${name}: ${line}\n`);
  });
}

/** Lines children have printed so far (to CHILD_LOG). */
export function childOutputLines(): number {
  return childLogLines;
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.exitCode === null) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

export interface SpawnOptions {
  name: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --expose-gc). */
  nodeFlags?: string[];
  /** Load tsx (for .ts entries); false for plain JavaScript. Default true. */
  tsx?: boolean;
  argv?: string[];
  readyTimeoutMs?: number;
}

/** Forks `entry` (a .ts file URL, run under tsx) and waits until it reports ready. */
export async function spawnChild(entry: URL, options: SpawnOptions): Promise<ChildHandle> {
  installCleanup();
  const child = fork(fileURLToPath(entry), options.argv ?? [], {
    execArgv: [...(options.tsx === false ? [] : ['--import', 'tsx']), ...(options.nodeFlags ?? [])],
    env: options.env ?? minimalEnv(),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  live.add(child);
  logOutput(options.name, child.stdout);
  logOutput(options.name, child.stderr);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;

  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      live.delete(child);
      for (const { reject } of pending.values()) {
        reject(new Error(`${options.name} exited (code ${code}, signal ${signal})`));
      }
      pending.clear();
      resolve();
    });
  });

  const info = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name} did not become ready`)),
      options.readyTimeoutMs ?? 60_000,
    );
    child.on('message', (raw) => {
      const message = raw as ReplyMessage | ReadyMessage;
      if (message.kind === 'ready') {
        clearTimeout(timer);
        resolve(message.info);
        return;
      }
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.error !== undefined)
        waiter.reject(new Error(`${options.name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited before it was ready`));
    });
  });

  return {
    name: options.name,
    pid: child.pid as number,
    info,
    call<T>(method: string, params?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(`${options.name} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        const message: CallMessage = { kind: 'call', id, method, params };
        child.send(message);
      });
    },
    async stop(graceMs = 5_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The environment a child gets: nothing from ours but what finding binaries needs. */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** In a child: answers the parent's calls with `handlers`, then announces it is ready. */
export function serveCalls(handlers: Handlers, info: unknown = null): void {
  if (!process.send) throw new Error('serveCalls needs an IPC channel (run through spawnChild)');
  const send = process.send.bind(process);
  process.on('message', (raw) => {
    const message = raw as CallMessage;
    if (message.kind !== 'call') return;
    const handler = handlers[message.method];
    const reply = (body: Omit<ReplyMessage, 'kind' | 'id'>) =>
      send({ kind: 'reply', id: message.id, ...body } satisfies ReplyMessage);
    if (!handler) {
      reply({ error: `unknown method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.params as never))
      .then(
        (result) => reply({ result }),
        (error: unknown) =>
          reply({ error: error instanceof Error ? error.message : String(error) }),
      );
  });
  // The parent going away (it crashed or was killed) ends the child too.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', info } satisfies ReadyMessage);
}
