import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Keeps the sockets of `wss` honest with one timer for all of them rather than one each:
 * every `intervalMs`, each open socket that answered the previous ping is pinged again, and
 * one that did not is ended. Returns the function that stops it.
 */
export function startKeepAliveSweep(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
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
