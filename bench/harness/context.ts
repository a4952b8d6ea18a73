import type { Figures } from './figures.ts';

export interface BenchContext {
  /** --quick: smaller loads and shorter runs, for a fast look; the default is the issue's. */
  quick: boolean;
  log(message: string): void;
}

export type Benchmark = (context: BenchContext) => Promise<Figures>;
