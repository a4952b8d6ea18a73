import type { App } from '../../src/app.ts';
import type { RunRecord } from '../../src/model/runRecord.ts';

/** Starts a run through the service and returns every state it goes through, to the end. */
export async function runToEnd(app: App, domain: string): Promise<RunRecord[]> {
  const started = await app.services.runs.start(domain);
  return watchToEnd(app, domain, started.run_id);
}

export async function watchToEnd(app: App, domain: string, runId: string): Promise<RunRecord[]> {
  const states: RunRecord[] = [];
  for await (const message of await app.services.runs.watch(domain, runId)) {
    states.push(message as RunRecord);
  }
  return states;
}
