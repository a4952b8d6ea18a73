import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { StreamingTransport } from '../metrics.ts';
import type { SerialisedResults } from './serialisedResults.ts';
import type { UnsentDataLimit } from './unsentDataLimit.ts';

/**
 * How one streamed HTTP form frames what it sends. Every buffer it returns for a result is
 * the same object for every response that result goes to: the framing of a result depends on
 * the result alone, so it is built once per result (and the result's JSON once for every
 * form, by SerialisedResults), and each response only queues it.
 */
export interface ResultFraming {
  readonly transport: StreamingTransport;
  readonly contentType: string;
  /** Written first, so that the client has the headers before the first result. */
  readonly opening: Buffer;
  /** Sent when nothing else was for a heartbeat interval, so that no proxy drops the stream. */
  readonly heartbeat: Buffer;
  /** Written after the last result, when the stream completes. */
  readonly closing: Buffer;
  /** One result, framed. */
  frame(result: ExecutionResult): Buffer;
  /** The stream failed (the server shutting down, a lost store): what tells the client so. */
  failure(error: unknown): Buffer;
}

/**
 * A framing whose result frames are built from the result's JSON, once per result: the JSON
 * comes from the process's SerialisedResults (one serialisation for every transport), the
 * frame is kept weakly beside the result (one framing for every response of this form).
 */
export abstract class JsonResultFraming implements ResultFraming {
  abstract readonly transport: StreamingTransport;
  abstract readonly contentType: string;
  abstract readonly opening: Buffer;
  abstract readonly heartbeat: Buffer;
  abstract readonly closing: Buffer;
  private readonly frames = new WeakMap<ExecutionResult, Buffer>();

  constructor(private readonly serialised: SerialisedResults) {}

  frame(result: ExecutionResult): Buffer {
    let bytes = this.frames.get(result);
    if (!bytes) {
      bytes = this.frameJson(this.serialised.of(result));
      this.frames.set(result, bytes);
    }
    return bytes;
  }

  /** The bytes that carry a result whose JSON is `json`. */
  protected abstract frameJson(json: string): Buffer;

  abstract failure(error: unknown): Buffer;
}

export interface StreamedResponseOptions {
  framing: ResultFraming;
  /** The node response the body is written to: its unsent data is bounded, its close heard. */
  res: ServerResponse;
  clientAddress: string;
  limit: UnsentDataLimit;
  heartbeatMs: number;
}

/**
 * A streamed HTTP response's body: the results of `results`, framed, as a node Readable
 * (which the node adapter pipes to the response as it is). One implementation for every
 * streamed form of a subscription over HTTP:
 *
 * - Each result is queued at once, without waiting for the client: a slow client never holds
 *   up the subscription or the others sharing its results. What is queued plus what the
 *   response still holds is the client's unsent data, checked against MAX_UNSENT_BYTES at
 *   every write (and again once the event loop has turned, when it is over); past it the
 *   response is destroyed (the client sees the stream cut).
 * - A heartbeat goes out whenever nothing else did for `heartbeatMs` (one timer per
 *   response, re-armed by each write, not a timer per write).
 * - The client leaving (the response closing, or closed already while its subscription was
 *   set up) ends the subscription, which releases its watch or its place in a shared stream,
 *   and the open-subscriptions gauge; so does a cut for falling behind.
 * - A failed stream is told to the client in the form's own way, then the stream closes.
 *
 * No async functions: a subscription waiting for its next event holds a pending promise,
 * not a suspended frame.
 */
export function streamedResponseBody(
  results: AsyncIterable<ExecutionResult>,
  options: StreamedResponseOptions,
): Readable {
  const { framing, res, clientAddress, limit, heartbeatMs } = options;
  const body = new Readable({ read() {} });
  // The adapter destroys the body when the response closes; nothing else listens for errors.
  body.on('error', () => {});
  const iterator = results[Symbol.asyncIterator]();
  let ended = false;

  const end = (last?: Buffer) => {
    if (ended) return;
    if (last) body.push(last);
    ended = true;
    clearTimeout(heartbeat);
    body.push(null);
  };
  const release = () => {
    if (ended) return;
    end();
    iterator.return?.().catch(() => {
      // The client has gone: a stream that fails while being released has no one to tell.
    });
  };
  const unsentBytes = () => body.readableLength + res.writableLength;
  // Checked once the event loop has turned: the response holds what it was handed in this
  // turn until the end of it, so two results sent back to back would count against a client
  // that reads them at once.
  let checkPending = false;
  const checkUnsent = () => {
    checkPending = false;
    if (ended) return;
    if (limit.tooFarBehind(framing.transport, clientAddress, unsentBytes())) {
      res.destroy();
      release();
    }
  };
  const send = (bytes: Buffer) => {
    if (ended) return;
    body.push(bytes);
    heartbeat.refresh();
    if (!checkPending && unsentBytes() > limit.maxBytes) {
      checkPending = true;
      setImmediate(checkUnsent);
    }
  };
  const heartbeat = setTimeout(function beat() {
    send(framing.heartbeat);
  }, heartbeatMs);
  res.once('close', release);
  // The client left while its subscription was being set up: no close is coming.
  if (res.destroyed) release();

  const pull = () => {
    iterator.next().then(
      (step) => {
        if (ended) return;
        if (step.done) return end(framing.closing);
        send(framing.frame(step.value));
        pull();
      },
      (error: unknown) => {
        if (ended) return;
        send(framing.failure(error));
        end(framing.closing);
      },
    );
  };
  send(framing.opening);
  pull();
  return body;
}
