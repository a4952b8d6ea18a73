/**
 * Names of every Redis key and channel the service uses, with the deployment's KV_PREFIX in
 * front. Domains and run ids are validated before they get here ([a-z0-9.-] and UUIDs), so
 * no input can reach into another key.
 */
export class KeySpace {
  constructor(readonly prefix: string) {}

  /** The run record: `engagement:{domain}:{run_id}`. */
  run(domain: string, runId: string): string {
    return `${this.prefix}engagement:${domain}:${runId}`;
  }

  /** Sorted set of a domain's run ids, scored by creation time (ms). */
  domainIndex(domain: string): string {
    return `${this.prefix}engagement-index:${domain}`;
  }

  /** Sorted set of runs still PROCESSING (`{domain}/{run_id}`), scored by deadline (ms). */
  openRuns(): string {
    return `${this.prefix}engagement-open`;
  }

  /** How a run is named in the open-runs index. */
  openRunMember(domain: string, runId: string): string {
    return `${domain}/${runId}`;
  }

  parseOpenRunMember(member: string): { domain: string; runId: string } {
    const slash = member.indexOf('/');
    return { domain: member.slice(0, slash), runId: member.slice(slash + 1) };
  }

  /** Pub/sub channel that carries every write of one run. */
  runChannel(domain: string, runId: string): string {
    return `${this.prefix}engagement-updates:${domain}:${runId}`;
  }

  /** Pub/sub channel that carries every write and deletion of every run of one domain. */
  domainChannel(domain: string): string {
    return `${this.prefix}engagement-domain-updates:${domain}`;
  }

  /** Which executor may execute a run now: its token, expiring unless renewed. */
  runLease(runId: string): string {
    return `${this.prefix}run-lease:${runId}`;
  }

  /** The token of the run's last lease holder, kept after the lease lapses. */
  runLeaseHolder(runId: string): string {
    return `${this.prefix}run-lease-holder:${runId}`;
  }

  /** Key namespace for anything else a component keeps (rate limits, queues). */
  scoped(name: string): string {
    return `${this.prefix}${name}`;
  }
}
