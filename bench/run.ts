/**
 * The performance suite: `npm run bench [-- <benchmark>... ] [--quick]`.
 *
 * Every figure is measured against a baseline taken in the same run (this machine is
 * shared and noisy; absolute times alone mean little). Targets are goals, not assertions:
 * the suite prints a table and merges its figures into bench/results/latest.json, and exits
 * 0 whether targets were met or not; it exits 1 when a benchmark failed to run.
 */
import { clientCost } from './clientCost.ts';
import type { BenchContext, Benchmark } from './harness/context.ts';
import { type Figures, formatTable, writeResults } from './harness/figures.ts';
import { CHILD_LOG, childOutputLines } from './harness/processes.ts';
import { listing } from './listing.ts';
import { llmCost } from './llmCost.ts';
import { pollVsSubscribe } from './pollVsSubscribe.ts';
import { pushLatency } from './pushLatency.ts';
import { slowClients } from './slowClients.ts';
import { subscriptionScale } from './subscriptionScale.ts';
import { throughput } from './throughput.ts';
import { tokenCounter } from './tokenCounter.ts';

const BENCHMARKS: Record<string, Benchmark> = {
  push: pushLatency,
  poll: pollVsSubscribe,
  scale: subscriptionScale,
  listing,
  throughput,
  tokens: tokenCounter,
  slow: slowClients,
  llmcost: llmCost,
  clients: clientCost,
};

const ALIASES: Record<string, string> = {
  pushLatency: 'push',
  pollVsSubscribe: 'poll',
  subscribe: 'poll',
  subscriptionScale: 'scale',
  subs: 'scale',
  tokenCounter: 'tokens',
  memory: 'scale',
  llmCost: 'llmcost',
  cost: 'llmcost',
  clientCost: 'clients',
};

const RESULTS = new URL('./results/latest.json', import.meta.url);

function parseArgs(argv: string[]): { names: string[]; quick: boolean } {
  const quick = argv.includes('--quick');
  const asked = argv.filter((a) => !a.startsWith('--')).map((a) => ALIASES[a] ?? a);
  for (const name of asked) {
    if (!BENCHMARKS[name]) {
      console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`);
      process.exit(2);
    }
  }
  return { names: asked.length > 0 ? asked : Object.keys(BENCHMARKS), quick };
}

async function main(): Promise<number> {
  const { names, quick } = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const suiteStarted = startedAt.getTime();
  const figures: Figures = {};
  const figuresByBenchmark: Record<string, Figures> = {};
  const failures: string[] = [];
  for (const name of names) {
    const started = Date.now();
    const context: BenchContext = {
      quick,
      log: (message) => {
        const seconds = ((Date.now() - suiteStarted) / 1000).toFixed(1).padStart(6);
        console.error(`[${seconds}s] ${name}: ${message}`);
      },
    };
    context.log(quick ? 'starting (quick)' : 'starting');
    try {
      const measured = await (BENCHMARKS[name] as Benchmark)(context);
      figuresByBenchmark[name] = measured;
      Object.assign(figures, measured);
      context.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${name}: ${message}`);
      context.log(`FAILED: ${message}`);
    }
  }

  console.log(`\n${formatTable(figures)}\n`);
  const missed = Object.entries(figures).filter(([, f]) => f.met === false);
  console.log(
    missed.length > 0
      ? `Targets missed: ${missed.map(([name]) => name).join(', ')}`
      : failures.length > 0
        ? 'Every target of the benchmarks that ran was met.'
        : 'Every target met.',
  );
  if (failures.length > 0) {
    console.log(
      `Benchmarks that failed to run: ${failures.map((f) => f.split(':')[0]).join(', ')}`,
    );
  }
  const written = writeResults(
    RESULTS,
    figuresByBenchmark,
    { benchmarks: names, quick, failures },
    startedAt,
  );
  const kept = Object.keys(written.figures).length - Object.keys(figures).length;
  console.log(
    `Wrote ${RESULTS.pathname}` +
      (kept > 0 ? ` (and kept ${kept} figures of earlier runs, each with its measuredAt)` : ''),
  );
  const childLines = childOutputLines();
  if (childLines > 0) {
    console.log(`Child processes printed ${childLines} lines: ${CHILD_LOG.pathname}`);
  }
  return failures.length;
}

const failed = await main();
// Targets are goals: a missed one still exits 0; a benchmark that could not run exits 1.
// Lingering sockets must not hold the exit.
process.exit(failed > 0 ? 1 : 0);
