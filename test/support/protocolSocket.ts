import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

export interface ProtocolMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface CloseEvent {
  code: number;
  reason: string;
}

/**
 * A WebSocket client that speaks `graphql-transport-ws` by hand, so that a test sees every
 * frame the server sends, in order, and every close code. Messages are read one at a time
 * with `next()`; `barrier()` proves, without a sleep, that the server sent nothing more
 * before its answer to a ping.
 */
export class ProtocolSocket {
  readonly socket: WebSocket;
  readonly received: ProtocolMessage[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  /** The upgrade response's headers, once the server has answered the handshake. */
  upgradeHeaders: IncomingHttpHeaders | null = null;
  /** Errors of the client socket, such as a handshake the client refused. */
  readonly errors: Error[] = [];
  private closeEvent: CloseEvent | null = null;
  private read = 0;
  private barriers = 0;
  private wake: (() => void) | null = null;

  constructor(url: string, protocols: string[] = [GRAPHQL_TRANSPORT_WS]) {
    this.socket = new WebSocket(url, protocols);
    this.socket.on('upgrade', (response) => (this.upgradeHeaders = response.headers));
    this.socket.on('error', (error) => this.errors.push(error));
    this.socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ProtocolMessage);
      this.notify();
    });
    this.opened = new Promise((resolve) => this.socket.once('open', () => resolve()));
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code, reason) => {
        this.closeEvent = { code, reason: String(reason) };
        this.notify();
        resolve(this.closeEvent);
      }),
    );
  }

  /** Sends a message (a string is sent as it is, anything else as its JSON). */
  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Sends the messages in one TCP write, so that the server reads them in one go and
   * handles them one after the other without anything of its own in between.
   */
  sendTogether(...messages: unknown[]): void {
    const tcp = (this.socket as unknown as { _socket: import('node:net').Socket })._socket;
    tcp.cork();
    for (const message of messages) this.send(message);
    tcp.uncork();
  }

  /** Opens the connection: `connection_init`, then the server's `connection_ack`. */
  async ready(payload?: Record<string, unknown>): Promise<void> {
    await this.opened;
    this.send(
      payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload },
    );
    const ack = await this.next();
    if (ack.type !== 'connection_ack') throw new Error(`expected connection_ack, got ${ack.type}`);
  }

  /** The next message not read yet; rejects when the socket closes first. */
  async next(): Promise<ProtocolMessage> {
    while (this.read >= this.received.length) {
      if (this.closeEvent) {
        throw new Error(`closed (${this.closeEvent.code}) before another message`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.received[this.read++] as ProtocolMessage;
  }

  /** Reads the next `count` messages. */
  async take(count: number): Promise<ProtocolMessage[]> {
    const messages: ProtocolMessage[] = [];
    while (messages.length < count) messages.push(await this.next());
    return messages;
  }

  /**
   * Reads messages until each of `ids` has ended (`complete` or `error`), and returns them
   * grouped by id, each in the order it arrived.
   */
  async untilEnded(ids: string[]): Promise<Map<string, ProtocolMessage[]>> {
    const byId = new Map(ids.map((id) => [id, [] as ProtocolMessage[]]));
    const open = new Set(ids);
    while (open.size > 0) {
      const message = await this.next();
      byId.get(message.id ?? '')?.push(message);
      if (message.type === 'complete' || message.type === 'error') open.delete(message.id ?? '');
    }
    return byId;
  }

  /**
   * Pings with a payload of its own and returns every message that arrived before the
   * matching pong: what the server sent before it handled this ping. Also proves the
   * socket is still open.
   */
  async barrier(): Promise<ProtocolMessage[]> {
    const payload = { barrier: ++this.barriers };
    this.send({ type: 'ping', payload });
    const before: ProtocolMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (message.type === 'pong' && JSON.stringify(message.payload) === JSON.stringify(payload)) {
        return before;
      }
      before.push(message);
    }
  }

  /** The messages that arrive within `ms` (a short negative wait), read and returned. */
  async within(ms: number): Promise<ProtocolMessage[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const messages = this.received.slice(this.read);
    this.read = this.received.length;
    return messages;
  }

  /** Whether the close event has arrived. */
  get isClosed(): boolean {
    return this.closeEvent !== null;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
