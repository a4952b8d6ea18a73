/**
 * The subscribing side of run notifications: one channel per run. RedisPubSub from
 * graphql-redis-subscriptions fits this shape as it is; InProcessEventBus is the embedded
 * equivalent.
 *
 * `subscribe` resolves only once the channel is really subscribed (for Redis: after the
 * SUBSCRIBE reply), so a caller that reads state afterwards cannot miss a later write.
 * `unsubscribe` must only be called with an id whose `subscribe` has resolved.
 */
export interface RunEventBus {
  subscribe(channel: string, listener: (message: unknown) => void): Promise<number>;
  unsubscribe(subscriptionId: number): void;
}
