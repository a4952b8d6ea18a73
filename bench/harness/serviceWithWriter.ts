import { BenchWriter, startRedis } from './redis.ts';
import { type ServiceHandle, startService } from './service.ts';

/** What a benchmark that writes run states to the service gets. */
export interface ServiceWithWriter {
  redisUrl: string;
  service: ServiceHandle;
  /** Writes through the service's own store, in the service's deployment (its KV_PREFIX). */
  writer: BenchWriter;
}

/**
 * Starts a redis-server of its own, the service on it and a writer of its deployment, hands
 * them to `use`, and stops all three afterwards, whether `use` succeeded or not.
 */
export async function withServiceAndWriter<T>(
  use: (setup: ServiceWithWriter) => Promise<T>,
): Promise<T> {
  const redis = await startRedis();
  let service: ServiceHandle | undefined;
  let writer: BenchWriter | undefined;
  try {
    service = await startService({ redisUrl: redis.url });
    writer = new BenchWriter(redis.url, service.kvPrefix);
    return await use({ redisUrl: redis.url, service, writer });
  } finally {
    await writer?.close();
    await service?.stop();
    await redis.stop();
  }
}
