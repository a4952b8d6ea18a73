import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Keeps the sockets of `wss` honest with one timer for all of them rather than one each:
 * every `intervalMs`, each open socket that answered the previous ping is pinged again, and
 * one that did not is ended. Returns the function that stops it.
 */
export function startKeepAliveSweep(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakSet<WebSocket>();
  // One listener for every socket (no closure each): a pong's emitter is its socket.
  function answered(this: WebSocket): void {
    alive.add(this);
  }
  wss.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', answered);
  });
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, intervalMs);
  sweep.unref();
  return () => clearInterval(sweep);
}
