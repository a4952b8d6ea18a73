import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import type { StreamingTransport } from '../../metrics.ts';
import type { UnsentDataLimit } from '../unsentDataLimit.ts';
import type { ServerContext } from '../yoga.ts';

/**
 * Bounds what a streamed HTTP response written by Yoga (SSE) may hold for a client that stops
 * reading. The node adapter writes a response body with backpressure: it waits for 'drain'
 * before reading on, so for a client that does not read, every later event stays queued in
 * the subscription, as objects no byte count sees, for as long as the client stays connected.
 * Here the body is read as soon as Yoga produces it and queued as bytes in front of the
 * adapter instead; those bytes plus what the response itself still holds are the client's
 * unsent data, checked against MAX_UNSENT_BYTES at every event. Past it the response is
 * destroyed (the client sees the stream cut, and may subscribe again) and the subscription
 * released.
 */
export function useStreamingResponseLimit(
  limit: UnsentDataLimit,
  clientAddress: (req: IncomingMessage) => string,
): Plugin {
  return {
    onResponse({ response, serverContext, setResponse, fetchAPI }) {
      // Yoga's plugins are typed without the server context; node:http hands it this one.
      const { req, res } = serverContext as ServerContext;
      const transport = streamingTransport(response);
      if (!req || !res || !response.body || !transport) return;
      const address = clientAddress(req);

      const events = response.body.getReader();
      // Unread by the adapter; filled without regard to its backpressure, on purpose.
      const queued = new Readable({ read() {} });
      // The adapter reads the error through its iterator; one after it has stopped reading
      // must not go unheard (an 'error' nobody listens to ends the process).
      queued.on('error', () => {});
      let stopped = false;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        events.cancel().catch(() => {
          // The client has gone: a stream that fails while being cancelled has no one to tell.
        });
        queued.push(null);
      };
      res.once('close', stop);

      const forward = async () => {
        for (let step = await events.read(); !step.done; step = await events.read()) {
          if (stopped) return;
          queued.push(step.value);
          const unsentBytes = queued.readableLength + res.writableLength;
          if (limit.tooFarBehind(transport, address, unsentBytes)) {
            res.destroy();
            stop();
            return;
          }
        }
        stopped = true;
        queued.push(null);
      };
      forward().catch((error: unknown) => {
        // After a stop, the read fails because its stream was cancelled: nothing to report.
        if (stopped) return;
        stopped = true;
        queued.destroy(error as Error);
      });

      // The node adapter takes a node Readable as a body as it is.
      setResponse(
        new fetchAPI.Response(queued as unknown as ReadableStream, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        }),
      );
    },
  };
}

function streamingTransport(response: Response): StreamingTransport | null {
  const type = response.headers.get('content-type') ?? '';
  // Multipart subscriptions are written by useStreamedSubscriptions, which bounds them itself.
  if (type.startsWith('text/event-stream')) return 'sse';
  return null;
}
