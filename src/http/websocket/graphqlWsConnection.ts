import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Principal } from '../../auth.ts';
import type { HeldConnection, TurnWrites } from './turnWrites.ts';

/** The subprotocol of GraphQL over WebSocket (graphql-ws's `graphql-transport-ws`). */
export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

/** The protocol's close codes, as graphql-ws clients read them. */
export const CloseCode = {
  InternalServerError: 4500,
  BadRequest: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  SubprotocolNotAcceptable: 4406,
  ConnectionInitialisationTimeout: 4408,
  SubscriberAlreadyExists: 4409,
  TooManyInitialisationRequests: 4429,
} as const;

/**
 * The close of a connection whose client fell too far behind (MAX_UNSENT_BYTES): 1013, "try
 * again later", which graphql-ws clients treat as retryable. A new subscription starts from
 * the run's current state, so the client catches up by reconnecting.
 */
export const SLOW_CLIENT_CLOSE = {
  code: 1013,
  reason: 'Too far behind: unsent data past the limit',
};

/**
 * How long the close frame of a slow client may wait behind the data it is not reading
 * before the socket is dropped without it.
 */
const SLOW_CLIENT_CLOSE_GRACE_MS = 5_000;

/**
 * Past this much data queued in the socket, messages are held back, as text, until it
 * drains. Above the socket's own high-water mark (16 KiB), so that its 'drain' follows.
 */
const SOCKET_HIGH_WATER_BYTES = 64 * 1024;

const optionalObject = z.record(z.string(), z.unknown()).nullish();

const subscribePayload = z.object({
  // `""` beside a `documentId` (graphql-ws types `query` as a string), as urql sends it.
  query: z.string(),
  documentId: z.string().nullish(),
  operationName: z.string().nullish(),
  variables: optionalObject,
  extensions: optionalObject,
});

export type SubscribePayload = z.infer<typeof subscribePayload>;

/** The messages a client may send; anything else closes the connection with 4400. */
const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connection_init'), payload: optionalObject }),
  z.object({ type: z.literal('ping'), payload: optionalObject }),
  z.object({ type: z.literal('pong'), payload: optionalObject }),
  z.object({ type: z.literal('subscribe'), id: z.string().min(1), payload: subscribePayload }),
  z.object({ type: z.literal('complete'), id: z.string().min(1) }),
]);

/**
 * One `subscribe` of one connection, as the code that runs the operation sees it: where its
 * results go, and a way to hear that the client no longer wants them. Every method is a
 * no-op once the operation has ended.
 */
export interface Subscriber {
  readonly id: string;
  readonly payload: SubscribePayload;
  readonly principal: Principal;
  /** False once ended: completed or failed by the server, completed by the client, or closed. */
  readonly active: boolean;
  /** Sends one result, given as its JSON. */
  next(resultJson: string): void;
  /** Sends `error` (the JSON of a list of GraphQL errors) and ends the operation. */
  fail(errorsJson: string): void;
  complete(): void;
  /** Something of ours failed while serving it: logged, and the connection closed (4500). */
  abort(error: unknown): void;
  /** Told once if the client completes the operation or the connection closes first. */
  onCancel: CancelListener | null;
}

/**
 * Who is told that a subscriber was cancelled. An object rather than a closure per
 * subscriber: a stream shared by thousands of subscribers is every one's listener.
 */
export interface CancelListener {
  cancelled(subscriber: Subscriber): void;
}

/** Runs the operations of every connection. */
export interface OperationRunner {
  start(subscriber: Subscriber): void;
}

/**
 * What every connection of a server runs with: one object for all of them, told which
 * client each call is about, so that a connection holds no closures of its own.
 */
export interface ConnectionDeps {
  /** Resolves to the principal of the `connection_init` payload, or rejects (4403). */
  authenticate(
    connectionParams: Record<string, unknown>,
    clientAddress: string,
  ): Promise<Principal>;
  operations: OperationRunner;
  /** Lets what is sent in one turn of the event loop leave in one write. */
  turnWrites: TurnWrites;
  /** How long a new socket may wait before `connection_init` (4408 after it). */
  initTimeoutMs: number;
  /**
   * Whether a connection with this much data queued and not taken by its socket is too far
   * behind (the shared MAX_UNSENT_BYTES rule); true closes it.
   */
  tooFarBehind(unsentBytes: number, clientAddress: string): boolean;
  onInternalError(error: unknown, clientAddress: string): void;
  /** An error event of the socket (a close follows). */
  onSocketError(error: Error, clientAddress: string): void;
  /** The socket closed, once, after its operations were cancelled. */
  onClosed(code: number, clientAddress: string): void;
}

/** Each open socket's connection, for the listeners every socket shares. */
const connections = new WeakMap<WebSocket, GraphQLWsConnection>();

function onSocketMessage(this: WebSocket, data: unknown): void {
  connections.get(this)?.receive(String(data));
}

function onSocketClose(this: WebSocket, code: number): void {
  connections.get(this)?.closed(code);
}

function onSocketError(this: WebSocket, error: Error): void {
  connections.get(this)?.socketError(error);
}

/**
 * One WebSocket speaking `graphql-transport-ws`, as a graphql-ws client expects it: the
 * `connection_init` handshake (checked once, by `authenticate`), ping/pong, and each
 * `subscribe` handed to the operation runner under its id until it completes, either side
 * ends it, or the socket closes. Results arrive already serialised, so a result shared by
 * many subscribers is framed, not re-serialised, per socket.
 */
export class GraphQLWsConnection implements HeldConnection {
  private initReceived = false;
  private principal: Principal | null = null;
  /**
   * The open operations by id: most connections have one, held in a field; a Map (about
   * 180 bytes, with its table) is made only for a second one at once.
   */
  private operation: ConnectionSubscriber | null = null;
  private moreOperations: Map<string, ConnectionSubscriber> | null = null;
  private initTimer: NodeJS.Timeout | null = null;
  /** Messages held back while the socket drains, in order (made when first needed), and their length. */
  private held: string[] | null = null;
  private heldBytes = 0;
  /** The socket holds more than SOCKET_HIGH_WATER_BYTES: waiting for its 'drain'. */
  private congested = false;

  /** The socket has closed: 'close' arrived, or the connection gave up on a slow client. */
  private isClosed = false;

  constructor(
    private readonly socket: WebSocket,
    /** The TCP socket under `socket`, whose writes are held to the end of a turn. */
    readonly tcp: Socket,
    /** Who the connection is for, as every limit and log line names the client. */
    private readonly clientAddress: string,
    private readonly deps: ConnectionDeps,
  ) {
    // Listeners shared by every socket (no closures per connection): they find this by it.
    connections.set(socket, this);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS) {
      socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
      return;
    }
    this.initTimer = setTimeout(() => {
      if (!this.initReceived) {
        socket.close(
          CloseCode.ConnectionInitialisationTimeout,
          'Connection initialisation timeout',
        );
      }
    }, deps.initTimeoutMs);
    socket.on('message', onSocketMessage);
  }

  /**
   * Sends raw protocol text, if the socket is still open. It leaves with whatever else is
   * sent in this turn (a last result with its completion: one write). While the socket is
   * congested the text is held instead: a result's JSON is shared by every subscriber of
   * its operation, so what a slow client is owed stays references to that one text, not a
   * framed copy in the socket's buffer for each client.
   */
  send(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.deps.turnWrites.hold(this);
    if (this.congested || this.held?.length) {
      this.held ??= [];
      this.held.push(text);
      this.heldBytes += text.length;
      return;
    }
    this.socket.send(text);
  }

  /**
   * What was sent in a turn has been handed to the socket. A client whose unsent data (in
   * the socket and held) is past the bound gets no more data: its operations end now
   * (releasing their run watches), the close frame (1013) is queued behind what it has not
   * read, and the socket is dropped if the client has not taken it within the grace. A
   * socket above the high-water mark holds what follows until it drains.
   */
  written(): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const buffered = this.socket.bufferedAmount;
    if (this.deps.tooFarBehind(buffered + this.heldBytes, this.clientAddress)) {
      this.held = null;
      this.heldBytes = 0;
      this.socket.close(SLOW_CLIENT_CLOSE.code, SLOW_CLIENT_CLOSE.reason);
      const drop = setTimeout(() => this.socket.terminate(), SLOW_CLIENT_CLOSE_GRACE_MS);
      drop.unref();
      this.socket.once('close', () => clearTimeout(drop));
      this.cancelOperations();
    } else if (buffered > SOCKET_HIGH_WATER_BYTES) {
      if (this.congested) return;
      this.congested = true;
      // Made only when needed: most connections never wait for a drain.
      this.drained ??= () => {
        this.congested = false;
        this.sendHeld();
      };
      this.tcp.once('drain', this.drained);
    } else if (this.held?.length) {
      this.sendHeld();
    }
  }

  private drained: (() => void) | null = null;

  /** Sends held messages, in order, until the socket is above the high-water mark again. */
  private sendHeld(): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.deps.turnWrites.hold(this);
    const held = this.held;
    while (held?.length && this.socket.bufferedAmount <= SOCKET_HIGH_WATER_BYTES) {
      const text = held.shift() as string;
      this.heldBytes -= text.length;
      this.socket.send(text);
    }
  }

  /** Forgets an operation that ended on the server's side. */
  ended(id: string): void {
    this.forget(id);
  }

  private find(id: string): ConnectionSubscriber | undefined {
    if (this.operation?.id === id) return this.operation;
    return this.moreOperations?.get(id);
  }

  private remember(subscriber: ConnectionSubscriber): void {
    if (!this.operation) {
      this.operation = subscriber;
      return;
    }
    this.moreOperations ??= new Map();
    this.moreOperations.set(subscriber.id, subscriber);
  }

  private forget(id: string): void {
    if (this.operation?.id === id) this.operation = null;
    else this.moreOperations?.delete(id);
  }

  receive(text: string): void {
    let message: z.infer<typeof clientMessage>;
    try {
      const parsed = clientMessage.safeParse(JSON.parse(text));
      if (!parsed.success) throw parsed.error;
      message = parsed.data;
    } catch {
      // Not JSON or not a message of the protocol: graphql-transport-ws closes with 4400.
      this.socket.close(CloseCode.BadRequest, 'Invalid message received');
      return;
    }
    switch (message.type) {
      case 'connection_init':
        this.init(message.payload ?? {});
        return;
      case 'ping':
        this.send(
          JSON.stringify({
            type: 'pong',
            ...(message.payload ? { payload: message.payload } : {}),
          }),
        );
        return;
      case 'pong':
        return;
      case 'subscribe': {
        if (!this.principal) {
          this.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return;
        }
        if (this.find(message.id)) {
          this.socket.close(
            CloseCode.SubscriberAlreadyExists,
            `Subscriber for ${message.id} already exists`,
          );
          return;
        }
        const subscriber = new ConnectionSubscriber(
          this,
          message.id,
          message.payload,
          this.principal,
        );
        this.remember(subscriber);
        try {
          this.deps.operations.start(subscriber);
        } catch (error) {
          this.internalError(error);
        }
        return;
      }
      case 'complete': {
        const subscriber = this.find(message.id);
        this.forget(message.id);
        subscriber?.cancel();
        return;
      }
    }
  }

  private init(connectionParams: Record<string, unknown>): void {
    if (this.initReceived) {
      this.socket.close(
        CloseCode.TooManyInitialisationRequests,
        'Too many initialisation requests',
      );
      return;
    }
    this.initReceived = true;
    if (this.initTimer) clearTimeout(this.initTimer);
    this.initTimer = null;
    this.deps.authenticate(connectionParams, this.clientAddress).then(
      (principal) => {
        this.principal = principal;
        this.send('{"type":"connection_ack"}');
      },
      () => this.socket.close(CloseCode.Forbidden, 'Forbidden'),
    );
  }

  /** Something of ours failed: logged, and the socket closed with no more said (4500). */
  internalError(error: unknown): void {
    this.deps.onInternalError(error, this.clientAddress);
    this.socket.close(CloseCode.InternalServerError, 'Internal server error');
  }

  socketError(error: Error): void {
    this.deps.onSocketError(error, this.clientAddress);
  }

  /** The socket's 'close': its operations end, and the server is told. */
  closed(code: number): void {
    connections.delete(this.socket);
    this.cancelOperations();
    this.deps.onClosed(code, this.clientAddress);
  }

  /** No more is sent: the init timer stops, and every open operation is cancelled. */
  private cancelOperations(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.initTimer) clearTimeout(this.initTimer);
    if (this.drained) this.tcp.off('drain', this.drained);
    const open = [
      ...(this.operation ? [this.operation] : []),
      ...(this.moreOperations?.values() ?? []),
    ];
    this.operation = null;
    this.moreOperations = null;
    for (const subscriber of open) subscriber.cancel();
  }
}

class ConnectionSubscriber implements Subscriber {
  onCancel: CancelListener | null = null;
  private open = true;
  /** `{"id":"…","type":` – the start every message of this operation shares. */
  private readonly head: string;

  constructor(
    private readonly connection: GraphQLWsConnection,
    readonly id: string,
    readonly payload: SubscribePayload,
    readonly principal: Principal,
  ) {
    this.head = `{"id":${JSON.stringify(id)},"type":`;
  }

  get active(): boolean {
    return this.open;
  }

  next(resultJson: string): void {
    if (this.open) this.connection.send(`${this.head}"next","payload":${resultJson}}`);
  }

  fail(errorsJson: string): void {
    if (this.end()) this.connection.send(`${this.head}"error","payload":${errorsJson}}`);
  }

  complete(): void {
    if (this.end()) this.connection.send(`${this.head}"complete"}`);
  }

  abort(error: unknown): void {
    this.end();
    this.connection.internalError(error);
  }

  /** The client completed it, or the connection closed: nothing more is sent. */
  cancel(): void {
    if (!this.open) return;
    this.open = false;
    const onCancel = this.onCancel;
    this.onCancel = null;
    onCancel?.cancelled(this);
  }

  private end(): boolean {
    if (!this.open) return false;
    this.open = false;
    this.onCancel = null;
    this.connection.ended(this.id);
    return true;
  }
}
