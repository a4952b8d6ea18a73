import type { Logger } from 'pino';
import type { StreamingTransport } from '../metrics.ts';

export interface UnsentDataLimitDeps {
  logger: Logger;
  /** Told once for each connection closed for falling behind, for the metric. */
  onClosed(transport: StreamingTransport): void;
}

/**
 * The one rule for a client that stops reading, shared by every streaming transport: data
 * written for a connection and not yet taken by its socket is held in this process, so once
 * it passes `maxBytes` (MAX_UNSENT_BYTES) the connection is too far behind and the transport
 * closes it instead of holding more. A client that is merely slow for a moment stays under
 * the bound and loses nothing; one that does not read at all costs at most the bound (plus
 * the message that crossed it).
 */
export class UnsentDataLimit {
  constructor(
    readonly maxBytes: number,
    private readonly deps: UnsentDataLimitDeps,
  ) {}

  /**
   * Whether a connection with `unsentBytes` queued is past the bound. When it is, the close
   * is counted and logged here, once per call, and the caller must close the connection.
   */
  tooFarBehind(transport: StreamingTransport, clientAddress: string, unsentBytes: number): boolean {
    if (unsentBytes <= this.maxBytes) return false;
    this.deps.onClosed(transport);
    this.deps.logger.warn(
      { transport, clientAddress, unsentBytes, maxUnsentBytes: this.maxBytes },
      'closing a client that stopped reading: its unsent data passed MAX_UNSENT_BYTES',
    );
    return true;
  }
}
