import type { Socket } from 'node:net';

/** A connection whose socket writes are held until the end of a turn. */
export interface HeldConnection {
  readonly tcp: Socket;
  /** Called once its writes have been let go: where the unsent-data bound is checked. */
  written(): void;
}

/**
 * Holds what is written to a socket during one turn of the event loop and lets it leave in
 * one write when the turn ends: a subscription's last result and its completion, or the
 * results of several operations of one connection that a run state produced, cost the
 * socket one system call, not one each. One timer for every socket written in the turn.
 */
export class TurnWrites {
  private readonly held = new Set<HeldConnection>();
  private scheduled = false;

  /** Holds the connection's writes until the end of this turn (nothing happens if already held). */
  hold(connection: HeldConnection): void {
    if (this.held.has(connection)) return;
    connection.tcp.cork();
    this.held.add(connection);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const connections = [...this.held];
    this.held.clear();
    for (const connection of connections) {
      connection.tcp.uncork();
      connection.written();
    }
  };
}
