import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { nowMs } from '../stats.ts';

/** GraphQL over HTTP POST on keep-alive connections, with node:http (no fetch overhead). */

export interface JsonResponse<T> {
  status: number;
  body: T;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export function postJson<T>(
  agent: Agent,
  url: string,
  payload: unknown,
  onSocket?: (socket: Socket) => void,
): Promise<JsonResponse<T>> {
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T,
            });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    if (onSocket) req.once('socket', onSocket);
    req.on('error', reject);
    req.end(body);
  });
}

export interface SequentialParams {
  url: string;
  query: string;
  variables: Record<string, unknown>;
  count: number;
}

/** `count` requests one after the other on one keep-alive connection; latency of each, in ms. */
async function sequential(params: SequentialParams): Promise<number[]> {
  const agent = keepAliveAgent(1);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < params.count; i++) {
      const started = nowMs();
      const response = await postJson<{ errors?: unknown }>(agent, params.url, {
        query: params.query,
        variables: params.variables,
      });
      latencies.push(nowMs() - started);
      if (response.status !== 200 || response.body.errors) {
        throw new Error(`query failed: ${response.status} ${JSON.stringify(response.body)}`);
      }
    }
  } finally {
    agent.destroy();
  }
  return latencies;
}

export const httpHandlers = { 'http.sequential': sequential };
