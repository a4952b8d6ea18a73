import { type ChildHandle, minimalEnv, spawnChild } from './processes.ts';

/** `count` client worker processes (see clientWorker.ts). */
export async function startClientWorkers(count: number, label = 'client'): Promise<ClientPool> {
  const workers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      spawnChild(new URL('./clientWorker.ts', import.meta.url), {
        name: `${label}-${i}`,
        env: minimalEnv(),
      }),
    ),
  );
  return new ClientPool(workers);
}

export class ClientPool {
  constructor(readonly workers: ChildHandle[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Calls every worker; `params(i)` gives worker i its own parameters. */
  all<T>(method: string, params: (index: number) => unknown = () => undefined): Promise<T[]> {
    return Promise.all(this.workers.map((worker, i) => worker.call<T>(method, params(i))));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }
}

/** Splits `total` into `parts` near-equal whole shares. */
export function shares(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}
