import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * One measured figure as `bench/results/latest.json` keeps it. `value` is the figure itself
 * (a ratio for the *_ratio / *_speedup figures); `baseline` is what it is compared with,
 * measured in the same run. For ratios, `measured` is the numerator and `baseline` the
 * denominator, in `baselineUnit`.
 */
export interface Figure {
  value: number;
  baseline: number;
  unit: string;
  target?: string;
  met?: boolean;
  measured?: number;
  baselineUnit?: string;
  note?: string;
  /** When the suite run that measured it started (a subset run keeps older figures). */
  measuredAt?: string;
  /** Measured with --quick (smaller loads). */
  quick?: boolean;
  /** The benchmark that measured it. */
  benchmark?: string;
}

export type Figures = Record<string, Figure>;

export interface Results {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  options: Record<string, unknown>;
  figures: Figures;
}

/** A ratio figure: `measured / baseline` (or its inverse for a speedup), with its target. */
export function ratioFigure(args: {
  measured: number;
  baseline: number;
  unit: string;
  /** value = baseline / measured instead (a speedup: bigger is better). */
  inverse?: boolean;
  target?: { op: '<=' | '>=' | '<'; bound: number };
  note?: string;
}): Figure {
  const value = args.inverse ? args.baseline / args.measured : args.measured / args.baseline;
  return {
    value: round(value),
    baseline: round(args.baseline),
    unit: 'x',
    measured: round(args.measured),
    baselineUnit: args.unit,
    ...targetOf(value, args.target),
    ...(args.note ? { note: args.note } : {}),
  };
}

/** A figure in its own unit, compared with a baseline in the same unit. */
export function plainFigure(args: {
  value: number;
  baseline: number;
  unit: string;
  target?: { op: '<=' | '>=' | '<'; bound: number };
  note?: string;
}): Figure {
  return {
    value: round(args.value),
    baseline: round(args.baseline),
    unit: args.unit,
    ...targetOf(args.value, args.target),
    ...(args.note ? { note: args.note } : {}),
  };
}

function targetOf(value: number, target?: { op: '<=' | '>=' | '<'; bound: number }) {
  if (!target) return {};
  const met =
    Number.isFinite(value) &&
    (target.op === '<='
      ? value <= target.bound
      : target.op === '<'
        ? value < target.bound
        : value >= target.bound);
  return { target: `${target.op} ${target.bound}`, met };
}

export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 4;
  return Number(x.toFixed(digits));
}

function show(x: number | undefined, unit = ''): string {
  if (x === undefined) return '';
  const text = Number.isFinite(x) ? String(round(x)) : String(x);
  return unit === 'x' ? `${text}x` : unit ? `${text} ${unit}` : text;
}

/** The table printed at the end of a run. */
export function formatTable(figures: Figures): string {
  const header = ['figure', 'value', 'measured', 'baseline', 'target', 'met'];
  const rows = Object.entries(figures).map(([name, f]) => {
    const isRatio = f.baselineUnit !== undefined;
    return [
      name,
      show(f.value, f.unit),
      isRatio ? show(f.measured, f.baselineUnit) : '',
      show(f.baseline, isRatio ? f.baselineUnit : f.unit),
      f.target ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Writes this run's figures (by benchmark) into `path`, keeping the figures of benchmarks
 * this run did not measure (a subset run, or a benchmark that failed), each marked with
 * when it was measured. A benchmark that ran replaces all of its earlier figures.
 */
export function writeResults(
  path: URL,
  figuresByBenchmark: Record<string, Figures>,
  options: Record<string, unknown> & { quick: boolean },
  startedAt: Date,
): Results {
  const measuredAt = startedAt.toISOString();
  const fresh: Figures = {};
  for (const [benchmark, figures] of Object.entries(figuresByBenchmark)) {
    for (const [name, figure] of Object.entries(figures)) {
      fresh[name] = { ...figure, measuredAt, quick: options.quick, benchmark };
    }
  }
  const kept = Object.fromEntries(
    Object.entries(previousFigures(path)).filter(
      ([, figure]) => !(figure.benchmark && figure.benchmark in figuresByBenchmark),
    ),
  );
  const results: Results = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
    },
    options,
    figures: { ...kept, ...fresh },
  };
  mkdirSync(new URL('.', path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

/** The figures already in `path`, each marked with its run's date when it has none. */
function previousFigures(path: URL): Figures {
  if (!existsSync(path)) return {};
  let previous: Partial<Results>;
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as Partial<Results>;
  } catch (error) {
    // The file is rewritten with this run's figures only: say which earlier ones are lost.
    console.error(
      `${path.pathname} is not readable JSON (${(error as Error).message}); earlier figures are not kept`,
    );
    return {};
  }
  const figures: Figures = {};
  for (const [name, figure] of Object.entries(previous.figures ?? {})) {
    figures[name] = {
      ...figure,
      measuredAt: figure.measuredAt ?? previous.generatedAt,
      quick: figure.quick ?? previous.options?.quick === true,
    };
  }
  return figures;
}
