import { connect, type Socket } from 'node:net';
import { nowMs, summarize } from '../stats.ts';

/**
 * A closed-loop HTTP/1.1 load generator in the manner of autocannon: `connections`
 * keep-alive sockets, each sending the same pre-built request as soon as the previous
 * response is complete. Responses are framed by Content-Length or chunked encoding and
 * otherwise not parsed, so the generator costs little next to the server.
 */

export interface LoadParams {
  url: string;
  /** POST (the default) sends `body` as JSON; GET sends the URL with its query. */
  method?: 'GET' | 'POST';
  body?: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  bytesPerResponse: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Length of the complete response at the start of `buf` (head + body), or -1 if incomplete. */
function responseLength(buf: Buffer): { length: number; status: number } | null {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd < 0) return null;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const status = Number(head.slice(9, 12));
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyStart = headEnd + 4;
  if (lengthMatch) {
    const total = bodyStart + Number(lengthMatch[1]);
    return buf.length >= total ? { length: total, status } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      const next = lineEnd + 2 + size + 2;
      if (buf.length < next) return null;
      if (size === 0) return { length: next, status };
      at = next;
    }
  }
  return { length: bodyStart, status };
}

function buildRequest(url: URL, method: 'GET' | 'POST', body: string): Buffer {
  const common = `Host: ${url.host}\r\nAccept: application/json\r\nConnection: keep-alive\r\n`;
  if (method === 'GET') {
    return Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${common}\r\n`);
  }
  const payload = Buffer.from(body);
  return Buffer.concat([
    Buffer.from(
      `POST ${url.pathname} HTTP/1.1\r\n${common}` +
        `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`,
    ),
    payload,
  ]);
}

async function run(params: LoadParams): Promise<LoadResult> {
  const url = new URL(params.url);
  const requestBytes = buildRequest(url, params.method ?? 'POST', params.body ?? '');

  let measuring = false;
  let stopped = false;
  let requests = 0;
  let non2xx = 0;
  let errors = 0;
  let responseBytes = 0;
  const latencies: number[] = [];

  const sockets: Socket[] = [];
  const lanes = Array.from(
    { length: params.connections },
    () =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        sockets.push(socket);
        socket.setNoDelay(true);
        let buffer: Buffer = Buffer.alloc(0);
        let sentAt = 0;
        const send = () => {
          if (stopped) {
            socket.end();
            resolve();
            return;
          }
          sentAt = nowMs();
          socket.write(requestBytes);
        };
        socket.on('connect', send);
        socket.on('data', (chunk: Buffer) => {
          buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
          const complete = responseLength(buffer);
          if (!complete) return;
          buffer = buffer.subarray(complete.length);
          if (measuring) {
            requests++;
            responseBytes += complete.length;
            if (complete.status < 200 || complete.status > 299) non2xx++;
            if (latencies.length < 200_000) latencies.push(nowMs() - sentAt);
          }
          send();
        });
        socket.on('error', () => {
          errors++;
          resolve();
        });
        socket.on('close', () => resolve());
      }),
  );

  await new Promise((r) => setTimeout(r, params.warmupMs));
  measuring = true;
  const started = nowMs();
  await new Promise((r) => setTimeout(r, params.durationMs));
  measuring = false;
  const elapsed = nowMs() - started;
  stopped = true;
  await Promise.race([Promise.all(lanes), new Promise((r) => setTimeout(r, 2_000))]);
  for (const socket of sockets) socket.destroy();

  const latency = summarize(latencies);
  return {
    requests,
    rps: requests / (elapsed / 1000),
    non2xx,
    errors,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    bytesPerResponse: requests > 0 ? responseBytes / requests : 0,
  };
}

export const loadHandlers = { 'load.run': run };
