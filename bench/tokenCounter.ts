/**
 * Token counting: what the service's o200k counter costs the serving process, against the
 * tokenizer libraries that count the same tokens. Each candidate runs in a fresh
 * `node --expose-gc` process (bench/harness/tokenCounterProbe.ts, bundled by esbuild so no
 * TypeScript loader is in the process): RSS and heap before loading, after the first count
 * and after counting a ~50 KB transcript 20 times and once line by line, each after a full
 * GC; CPU time (not wall time: the machine is shared) of the first count (loading included)
 * and of one count of the transcript.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { NODE_BUNDLE_OPTIONS } from '../scripts/nodeBundleOptions.ts';
import { buildMeetings } from '../support/fakes/fathomFixtures.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure } from './harness/figures.ts';

const OUT_DIR = new URL('./results/token-counter.tmp/', import.meta.url);
const CANDIDATES = ['service', 'tiktoken', 'gpt-tokenizer'] as const;
const TRANSCRIPT_CHARACTERS = 50_000;

interface ProbeResult {
  name: string;
  tokens: number;
  rssLoadedMb: number;
  rssCountedMb: number;
  heapCountedMb: number;
  peakRssMb: number;
  firstCountCpuMs: number;
  countCpuMs: number;
  lineCpuUs: number;
}

export async function tokenCounter(context: BenchContext): Promise<Figures> {
  mkdirSync(OUT_DIR, { recursive: true });
  const bundle = async (entry: string, name: string) => {
    const outfile = fileURLToPath(new URL(name, OUT_DIR));
    await build({
      entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
      outfile,
      ...NODE_BUNDLE_OPTIONS,
    });
    return outfile;
  };
  const counter = await bundle('../src/pipeline/summarizer/tokenCounter.ts', 'counter.mjs');
  const probe = await bundle('./harness/tokenCounterProbe.ts', 'probe.mjs');
  const textFile = fileURLToPath(new URL('transcript.txt', OUT_DIR));
  writeFileSync(textFile, transcript());

  const rounds = context.quick ? 1 : 3;
  const results = new Map<string, ProbeResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const name of CANDIDATES) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', probe, name, pathToFileURL(counter).href, textFile],
        { cwd: fileURLToPath(new URL('..', import.meta.url)) },
      );
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ProbeResult;
      results.set(name, [...(results.get(name) ?? []), result]);
      context.log(
        `${name}: ${result.tokens} tokens; RSS +${result.rssLoadedMb.toFixed(1)} MB loaded, ` +
          `+${result.rssCountedMb.toFixed(1)} MB after counting (peak +${result.peakRssMb.toFixed(1)}), ` +
          `heap +${result.heapCountedMb.toFixed(1)} MB; first count ${result.firstCountCpuMs.toFixed(0)} ms CPU, ` +
          `50 KB ${result.countCpuMs.toFixed(2)} ms, a line ${result.lineCpuUs.toFixed(1)} us`,
      );
    }
  }
  const median = (name: string, pick: (r: ProbeResult) => number) => {
    const values = (results.get(name) ?? []).map(pick).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? Number.NaN;
  };
  const tokens = new Set(CANDIDATES.map((name) => median(name, (r) => r.tokens)));
  if (tokens.size !== 1)
    throw new Error(`the candidates disagree on the transcript: ${[...tokens]}`);

  const note = "baseline: tiktoken (WebAssembly), the tests' reference";
  return {
    token_counter_rss_mb: plainFigure({
      value: median('service', (r) => r.rssCountedMb),
      baseline: median('tiktoken', (r) => r.rssCountedMb),
      unit: 'MB',
      target: { op: '<=', bound: 20 },
      note,
    }),
    token_counter_peak_rss_mb: plainFigure({
      value: median('service', (r) => r.peakRssMb),
      baseline: median('tiktoken', (r) => r.peakRssMb),
      unit: 'MB',
      target: { op: '<=', bound: 20 },
      note,
    }),
    token_counter_first_count_cpu_ms: plainFigure({
      value: median('service', (r) => r.firstCountCpuMs),
      baseline: median('tiktoken', (r) => r.firstCountCpuMs),
      unit: 'ms',
      note,
    }),
    token_counter_50kb_cpu_ms: plainFigure({
      value: median('service', (r) => r.countCpuMs),
      baseline: median('tiktoken', (r) => r.countCpuMs),
      unit: 'ms',
      note,
    }),
  };
}

/** A meeting transcript of the fixtures, as the digest gives it, cut at ~50 KB. */
function transcript(): string {
  const [meeting] = buildMeetings({
    companies: [
      {
        domain: 'acme.com',
        people: [
          { name: 'Jane Doe', email: 'jane@acme.com' },
          { name: 'Raj Patel', email: 'raj@acme.com' },
        ],
      },
    ],
    meetingsPerCompany: 1,
    transcriptLinesPerMeeting: 900,
    withSummary: false,
  });
  const lines = (meeting?.transcript ?? []).map((l) => `${l.speaker.display_name}: ${l.text}`);
  return lines.join('\n').slice(0, TRANSCRIPT_CHARACTERS);
}
