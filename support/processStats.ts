import { readdirSync, readFileSync } from 'node:fs';

/** Readers of /proc (Linux): CPU time and resident memory of a process and its descendants. */

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS = 100;

interface StatFields {
  ppid: number;
  /** utime + stime, in ticks. */
  cpuTicks: number;
  userTicks: number;
  systemTicks: number;
}

function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // the process has exited: it has no stat to read
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after it.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return {
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    userTicks: Number(rest[11]),
    systemTicks: Number(rest[12]),
  };
}

/** Pids of `pid` and every live descendant. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = parents.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    parents.set(stat.ppid, siblings);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return tree;
}

/** User + system CPU seconds used so far by `pid` and its live descendants. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) ticks += readStat(member)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** CPU seconds so far of `pid` and its live descendants, split into user and system (kernel). */
export function cpuTimes(pid: number): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const member of processTree(pid)) {
    const stat = readStat(member);
    user += stat?.userTicks ?? 0;
    system += stat?.systemTicks ?? 0;
  }
  return { user: user / CLOCK_TICKS, system: system / CLOCK_TICKS };
}

/** Resident set size of one process (VmRSS), in MB (2^20 bytes). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Number of open file descriptors of a process. */
export function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
