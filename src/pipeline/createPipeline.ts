import type { Config } from '../config.ts';
import type { ExpiringValues } from '../kv/expiringValues.ts';
import { FathomClient } from './fathom/fathomClient.ts';
import type { UpstreamRateLimiter } from './fathom/upstreamRateLimiter.ts';
import { FathomMeetingSource, FileMeetingSource, type MeetingSource } from './meetingSource.ts';
import { MeetingSummaryPipeline, type Requirement } from './meetingSummaryPipeline.ts';
import { ExtractiveSummarizer } from './summarizer/extractiveSummarizer.ts';
import { LazySummarizer, type Summarizer } from './summarizer/summarizer.ts';
import type { UpstreamCallObserver } from './upstreamCall.ts';

export interface PipelineDeps {
  fathomRateLimiter: UpstreamRateLimiter;
  /** Where the LLM summariser keeps its findings between runs. */
  findings: ExpiringValues;
  onUpstreamCall?: UpstreamCallObserver;
}

/** The pipeline the configuration asks for; what is missing ends runs with a clear error. */
export function createPipeline(config: Config, deps: PipelineDeps): MeetingSummaryPipeline {
  return new MeetingSummaryPipeline(
    meetingSource(config, deps),
    summarizer(config, deps),
    config.demoStepDelayMs,
  );
}

function meetingSource(config: Config, deps: PipelineDeps): Requirement<MeetingSource> {
  if (config.meetingsFile) return { ok: true, value: new FileMeetingSource(config.meetingsFile) };
  if (!config.fathom.apiKey) {
    return {
      ok: false,
      reason:
        'FATHOM_API_KEY is not set (and no MEETINGS_FILE is given), so meetings cannot be listed.',
    };
  }
  const client = new FathomClient({
    apiKey: config.fathom.apiKey,
    baseUrl: config.fathom.baseUrl,
    rateLimiter: deps.fathomRateLimiter,
    onCall: deps.onUpstreamCall,
  });
  return { ok: true, value: new FathomMeetingSource(client) };
}

function summarizer(config: Config, deps: PipelineDeps): Requirement<Summarizer> {
  if (config.summarizer === 'extractive') return { ok: true, value: new ExtractiveSummarizer() };
  if (!config.openai.apiKey) {
    return {
      ok: false,
      reason:
        'OPENAI_API_KEY is not set, so meetings cannot be summarised (or set SUMMARIZER=extractive).',
    };
  }
  const { apiKey, baseUrl, model } = config.openai;
  const summarizer = new LazySummarizer(async () => {
    const [{ default: OpenAI }, { OpenAiSummarizer }, { TiktokenCounter }, { KeptFindings }] =
      await Promise.all([
        import('openai'),
        import('./summarizer/openAiSummarizer.ts'),
        import('./summarizer/tokenCounter.ts'),
        import('./summarizer/keptFindings.ts'),
      ]);
    return new OpenAiSummarizer({
      client: new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 2, timeout: config.runTimeoutMs }),
      model,
      budgetTokens: config.llmInputBudgetTokens,
      tokens: new TiktokenCounter(),
      kept: new KeptFindings(deps.findings),
      onCall: deps.onUpstreamCall,
    });
  });
  return { ok: true, value: summarizer };
}
