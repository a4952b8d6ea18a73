import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Plumbing shared by the fake upstreams: a loopback server, scripted behaviours, JSON replies. */

export interface LoopbackServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  /** Runs `task` after `ms`, unless the server closes first (so no reply lands on a dead socket). */
  later(ms: number, task: () => void): void;
  close(): Promise<void>;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

export async function startLoopbackServer(handle: RequestHandler): Promise<LoopbackServer> {
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    Promise.resolve()
      .then(() => handle(request, response))
      .catch((error: unknown) => {
        // A bug in a fake must surface in the test output, not as a hung request.
        if (!response.headersSent && !response.destroyed) {
          sendJson(response, 500, { error: `fake server failure: ${String(error)}` });
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    later(ms, task) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        task();
      }, ms);
      timers.add(timer);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // server.close() alone waits for keep-alive and hanging requests, which never end.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A queue of per-request behaviours plus an optional standing default that overrides it. */
export class BehaviourScript<Behaviour> {
  private readonly queue: Behaviour[] = [];
  private standing: Behaviour | undefined;

  enqueue(...behaviours: Behaviour[]): void {
    this.queue.push(...behaviours);
  }

  setDefault(behaviour: Behaviour | undefined): void {
    this.standing = behaviour;
  }

  /** The behaviour for the request just received; undefined means "answer normally". */
  next(): Behaviour | undefined {
    return this.standing ?? this.queue.shift();
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload).toString(),
  });
  response.end(payload);
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
