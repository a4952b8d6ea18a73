import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processTree, rssMb } from '../../support/processStats.ts';
import { logOutput, minimalEnv } from './processes.ts';
import { sleep } from './stats.ts';

/**
 * The service as a user starts it: `npm start` itself (its build step, then `node
 * dist/main.js`), in the project's directory, with the environment given. Its memory is the
 * process tree npm creates, less the npm launcher (a deployment's process manager would
 * take its place); each part is reported.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface TreePart {
  pid: number;
  command: string;
  rssMb: number;
}

export interface NpmStartHandle {
  readonly url: string;
  /** The npm launcher's pid (not counted). */
  readonly launcherPid: number;
  /** Every process npm started, with its VmRSS. */
  parts(): TreePart[];
  /** Sum of VmRSS over the tree less the npm launcher. */
  rssMb(): number;
  /** SIGTERM to npm (which passes it on), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startNpmService(env: Record<string, string>): Promise<NpmStartHandle> {
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: ROOT,
    env: minimalEnv({ LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const launcherPid = child.pid as number;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  logOutput('npm-start', child.stdout);
  logOutput('npm-start', child.stderr);
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('npm start did not listen in 120 s')), 120_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const match = /"url":"(http:[^"]+)"[^\n]*listening/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
      // Keep only the tail: the service logs every run, and this must not grow.
      if (buffered.length > 65_536) buffered = buffered.slice(-4_096);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (code ${code}) before it listened`));
    });
  });

  const parts = (): TreePart[] =>
    processTree(launcherPid)
      .filter((pid) => pid !== launcherPid)
      .flatMap((pid) => {
        try {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
          return [{ pid, command: command.trim(), rssMb: rssMb(pid) }];
        } catch {
          return []; // it exited meanwhile
        }
      });

  return {
    url,
    launcherPid,
    parts,
    rssMb: () => parts().reduce((sum, part) => sum + part.rssMb, 0),
    async stop(graceMs = 15_000) {
      if (exitCode !== undefined) return exitCode;
      const serving = parts().map((part) => part.pid);
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        for (const pid of serving) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // It exited on its own meanwhile: nothing left to kill.
          }
        }
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Samples `read` every second until it settles (the last five samples within `toleranceMb`)
 * or `maxMs` passes; returns the last sample and how long it took. Nothing is forced: this
 * is the memory a user's process holds once it has gone quiet.
 */
export async function settledRss(
  read: () => number,
  options: { toleranceMb?: number; maxMs?: number } = {},
): Promise<{ rssMb: number; afterMs: number; settled: boolean }> {
  const tolerance = options.toleranceMb ?? 1;
  const maxMs = options.maxMs ?? 30_000;
  const started = Date.now();
  const samples: number[] = [];
  for (;;) {
    samples.push(read());
    const last = samples.slice(-5);
    const settled = last.length === 5 && Math.max(...last) - Math.min(...last) <= tolerance;
    if (settled || Date.now() - started >= maxMs) {
      return { rssMb: samples.at(-1) as number, afterMs: Date.now() - started, settled };
    }
    await sleep(1_000);
  }
}
