import type { RunEventBus } from './runEventBus.ts';

/**
 * Pub/sub inside one process, for the embedded mode. Each message is delivered as its own
 * parsed copy of the published JSON, as it would arrive from Redis, so no subscriber can
 * change what another one sees.
 */
export class InProcessEventBus implements RunEventBus {
  private nextId = 1;
  private readonly listeners = new Map<
    number,
    { channel: string; listener: (m: unknown) => void }
  >();
  private readonly channels = new Map<string, Set<number>>();

  async subscribe(channel: string, listener: (message: unknown) => void): Promise<number> {
    const id = this.nextId++;
    this.listeners.set(id, { channel, listener });
    let ids = this.channels.get(channel);
    if (!ids) {
      ids = new Set();
      this.channels.set(channel, ids);
    }
    ids.add(id);
    return id;
  }

  unsubscribe(subscriptionId: number): void {
    const entry = this.listeners.get(subscriptionId);
    if (!entry) return;
    this.listeners.delete(subscriptionId);
    const ids = this.channels.get(entry.channel);
    ids?.delete(subscriptionId);
    if (ids?.size === 0) this.channels.delete(entry.channel);
  }

  /** Delivers `json` to the channel's listeners; returns how many received it. */
  publish(channel: string, json: string): number {
    const ids = this.channels.get(channel);
    if (!ids || ids.size === 0) return 0;
    const message = JSON.parse(json) as unknown;
    for (const id of [...ids]) this.listeners.get(id)?.listener(message);
    return ids.size;
  }

  /** Number of channels with at least one listener (the Redis `PUBSUB NUMSUB` analogue). */
  get activeChannels(): number {
    return this.channels.size;
  }
}
