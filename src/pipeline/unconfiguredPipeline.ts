import { type EngagementPipeline, PipelineError } from './engagementPipeline.ts';

/** Ends every run with a message naming what is missing from the configuration. */
export class UnconfiguredPipeline implements EngagementPipeline {
  constructor(private readonly reason: string) {}

  async run(): Promise<never> {
    throw new PipelineError(this.reason);
  }
}
