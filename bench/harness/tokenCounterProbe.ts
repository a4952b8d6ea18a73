/**
 * One token counter measured in a process of its own, bundled by esbuild and run by plain
 * `node --expose-gc` (bench/tokenCounter.ts builds and starts it):
 * `probe.mjs <candidate> <counter bundle URL> <text file>`. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';

type Count = (text: string) => number;

const CANDIDATES: Record<string, (counterUrl: string) => Promise<Count>> = {
  /** The service's own counter (src/pipeline/summarizer/tokenCounter.ts). */
  service: async (counterUrl) => {
    const { TiktokenCounter } = (await import(
      counterUrl
    )) as typeof import('../../src/pipeline/summarizer/tokenCounter.ts');
    const counter = new TiktokenCounter();
    return (text) => counter.count(text);
  },
  /** OpenAI's Rust tiktoken as WebAssembly (the tests' reference). */
  tiktoken: async () => {
    const { get_encoding } = await import('tiktoken');
    const encoding = get_encoding('o200k_base');
    return (text) => encoding.encode_ordinary(text).length;
  },
  'gpt-tokenizer': async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countTokens(text);
  },
};

const [name = '', counterUrl = '', textFile = ''] = process.argv.slice(2);
const load = CANDIDATES[name];
if (!load) throw new Error(`unknown candidate ${name}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const text = readFileSync(textFile, 'utf8');

/** Memory once garbage is collected and freed buffers are swept. */
async function settled(): Promise<{ rss: number; heap: number }> {
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};

const before = await settled();
let cpu = process.cpuUsage();
const count = await load(counterUrl);
count('hello world');
const firstCountCpuMs = cpuMs(cpu);
const loaded = await settled();

const ROUNDS = 20;
let tokens = 0;
cpu = process.cpuUsage();
for (let i = 0; i < ROUNDS; i++) tokens = count(text);
const countCpuMs = cpuMs(cpu) / ROUNDS;

const lines = text.split('\n');
cpu = process.cpuUsage();
for (const line of lines) count(`${line}\n`);
const lineCpuUs = (cpuMs(cpu) * 1000) / lines.length;
const counted = await settled();

const MB = 1024 * 1024;
console.log(
  JSON.stringify({
    name,
    tokens,
    characters: text.length,
    rssLoadedMb: (loaded.rss - before.rss) / MB,
    rssCountedMb: (counted.rss - before.rss) / MB,
    heapCountedMb: (counted.heap - before.heap) / MB,
    peakRssMb: (process.resourceUsage().maxRSS * 1024 - before.rss) / MB,
    firstCountCpuMs,
    countCpuMs,
    lineCpuUs,
  }),
);
