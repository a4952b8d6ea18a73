/**
 * 8. What a refresh costs in LLM tokens: `npm start` itself with Redis and the real pipeline
 * (the Fathom client against the loopback fake Fathom, the OpenAI summariser against the
 * fake OpenAI, both in a process of their own), one company with 50 recorded meetings. Three
 * runs of the company, as a user starts them: the first; a re-run with nothing new; a re-run
 * after one new meeting was recorded. Tokens are those of every chat request the fake
 * received, counted as OpenAI counts a prompt (o200k: the messages and the answer schema).
 * Baseline of both ratios: the first run's tokens.
 */
import type { BenchContext } from './harness/context.ts';
import type { FakeUpstreams } from './harness/fakeUpstreams.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { type NpmStartHandle, startNpmService } from './harness/npmStart.ts';
import { type ChildHandle, minimalEnv, spawnChild } from './harness/processes.ts';
import { startRedis } from './harness/redis.ts';
import { freshPrefix } from './harness/service.ts';
import { runThroughService } from './harness/serviceRuns.ts';

const MEETINGS = 50;
/**
 * Transcript lines per meeting: 120 short turns (~2,000 tokens of material a meeting), a
 * short call; real half-hour calls run to several thousand tokens, which only lowers the
 * ratios (the merge of findings costs the same whatever the meetings' length).
 */
const TRANSCRIPT_LINES = Number(process.env.BENCH_LLMCOST_TRANSCRIPT_LINES ?? 120);
const UNCHANGED_TARGET = 0;
const ONE_NEW_TARGET = 0.1;

interface Sent {
  requests: number;
  tokens: number;
}

export async function llmCost(context: BenchContext): Promise<Figures> {
  const redis = await startRedis();
  let fakes: ChildHandle | undefined;
  let service: NpmStartHandle | undefined;
  try {
    fakes = await spawnChild(new URL('./harness/fakeUpstreams.ts', import.meta.url), {
      name: 'fake-upstreams',
      env: minimalEnv({
        BENCH_MEETINGS_PER_COMPANY: String(MEETINGS),
        BENCH_TRANSCRIPT_LINES: String(TRANSCRIPT_LINES),
      }),
    });
    const upstreams = fakes.info as FakeUpstreams;
    service = await startNpmService({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      KV_PREFIX: freshPrefix(),
      FATHOM_API_KEY: upstreams.fathomKey,
      FATHOM_BASE_URL: upstreams.fathomBaseUrl,
      FATHOM_RATE_LIMIT: '1000',
      OPENAI_API_KEY: upstreams.openaiKey,
      OPENAI_BASE_URL: upstreams.openaiBaseUrl,
    });
    const handle = fakes;
    const url = service.url;
    const measure = async (label: string): Promise<Sent> => {
      const from = await handle.call<number>('chatRequests');
      const run = await runThroughService(url, upstreams.company);
      const sent = await handle.call<Sent>('promptTokens', { from });
      context.log(
        `${label}: ${run.meetingsCount} meetings, ${run.goals} goals; ` +
          `${sent.requests} LLM requests, ${sent.tokens} prompt tokens`,
      );
      return sent;
    };

    const materialTokens = await handle.call<number>('materialTokens');
    const first = await measure('first run');
    if (first.tokens === 0) throw new Error('the first run sent the LLM nothing');
    const unchanged = await measure('re-run, nothing new');
    await handle.call('addCompanyMeeting');
    const oneNew = await measure('re-run, one new meeting');

    return {
      llm_tokens_first_run: plainFigure({
        value: first.tokens,
        baseline: materialTokens,
        unit: 'tokens',
        note:
          `prompt tokens (o200k) of a first run of a company with ${MEETINGS} meetings ` +
          `(${TRANSCRIPT_LINES} transcript lines each), ${first.requests} LLM requests, ` +
          'LLM_INPUT_BUDGET_TOKENS 12000; baseline: the tokens of what the meetings say ' +
          '(their summaries and transcript lines)',
      }),
      llm_rerun_unchanged_token_ratio: ratioFigure({
        measured: unchanged.tokens,
        baseline: first.tokens,
        unit: 'tokens',
        target: { op: '<=', bound: UNCHANGED_TARGET },
        note: `a re-run with no new or changed meeting (${unchanged.requests} LLM requests) / the first run`,
      }),
      llm_rerun_one_new_token_ratio: ratioFigure({
        measured: oneNew.tokens,
        baseline: first.tokens,
        unit: 'tokens',
        target: { op: '<=', bound: ONE_NEW_TARGET },
        note: `a re-run after one new meeting (${oneNew.requests} LLM requests) / the first run`,
      }),
    };
  } finally {
    await service?.stop();
    await fakes?.stop();
    await redis.stop();
  }
}
