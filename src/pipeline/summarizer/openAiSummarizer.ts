import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { PipelineError } from '../engagementPipeline.ts';
import type { RunMeetingQuotes } from '../evidence/meetingQuotes.ts';
import type { FathomMeeting } from '../fathom/fathomMeeting.ts';
import type { UpstreamCallObserver } from '../upstreamCall.ts';
import { keepCitedInsights, MAX_INSIGHTS, MAX_QUOTES, type QuoteSource } from './citedInsights.ts';
import { type KeptFindings, meetingShares } from './keptFindings.ts';
import { llmAnswerSchema, toLlmInsight } from './llmAnswer.ts';
import {
  type DigestPart,
  digestMeeting,
  meetingMaterial,
  UNKNOWN_SPEAKER,
} from './meetingDigest.ts';
import type { Insights, Summarizer, SummaryRequest } from './summarizer.ts';
import { chatRequestTokens, type TokenCounter } from './tokenCounter.ts';

export interface OpenAiSummarizerOptions {
  client: OpenAI;
  model: string;
  /** LLM_INPUT_BUDGET_TOKENS: no request carries more. */
  budgetTokens: number;
  tokens: TokenCounter;
  onCall?: UpstreamCallObserver;
  /** Findings of earlier runs, so that a run asks only about meetings it has none for. */
  kept: KeptFindings;
  /** Batch requests in flight at once during the map step. */
  concurrency?: number;
}

type Message = { role: 'system' | 'user'; content: string };

const RESPONSE_FORMAT = zodResponseFormat(llmAnswerSchema, 'engagement_insights');
const TEMPERATURE = 0.1;
/** The request's settings besides the prompts: part of what kept findings are valid for. */
const REQUEST_SETTINGS = JSON.stringify({ temperature: TEMPERATURE, format: RESPONSE_FORMAT });
const MAX_MERGE_ROUNDS = 6;

/**
 * Goals and challenges from an OpenAI-compatible model with Structured Outputs. When the
 * meetings fit one request under the token budget, one call; otherwise map-reduce: one call
 * per batch of meetings, then merge calls over the batches' findings (in rounds, if even
 * those do not fit), so that nothing is ever cut off. When a round merges nothing (distinct
 * findings that never fit one request), the findings are kept side by side, capped.
 *
 * Incremental: the findings of each meeting and the merged findings of the company are kept
 * (KeptFindings), so a run asks the LLM only about meetings it holds no findings for, then
 * merges those into what an earlier run merged; with every meeting unchanged it asks nothing.
 */
export class OpenAiSummarizer implements Summarizer {
  private readonly schemaTokens: number;

  constructor(private readonly options: OpenAiSummarizerOptions) {
    this.schemaTokens = options.tokens.count(JSON.stringify(RESPONSE_FORMAT.json_schema));
  }

  async summarize(
    { domain, meetings, quotes }: SummaryRequest,
    signal: AbortSignal,
  ): Promise<Insights> {
    const source = quoteSource(meetings, quotes);
    const extract = extractPrompt(domain);
    const merge = mergePrompt(domain);
    const room = this.room(extract);
    if (room < 64) {
      throw new PipelineError(
        `LLM_INPUT_BUDGET_TOKENS=${this.options.budgetTokens} is too small for a single request.`,
      );
    }
    const { kept } = this.options;
    const scope = kept.scope(this.options.model, extract, merge, REQUEST_SETTINGS);
    const keyOf = new Map(
      meetings.map((m) => [m.recording_id, kept.meetingKey(scope, meetingMaterial(m, domain))]),
    );
    const meetingKeys = [...keyOf.values()];

    // What earlier runs found: merged over these very meetings (then nothing is asked), or
    // over some of them, which only the others' findings need merging into.
    const base = await kept.merged(scope, meetingKeys);
    if (base && base.meetingKeys.length === meetingKeys.length) {
      // Renewed too: a meeting that changes later needs the others' findings.
      await kept.renewMeetings(meetingKeys);
      return base.findings;
    }
    const inBase = new Set(base?.meetingKeys);
    const rest = meetings.filter((m) => !inBase.has(keyOf.get(m.recording_id) as string));
    const keptShares = await kept.ofMeetings(rest.map((m) => keyOf.get(m.recording_id) as string));
    const unread = rest.filter((m) => !keptShares.has(keyOf.get(m.recording_id) as string));

    const parts = unread.flatMap((m) => digestMeeting(m, domain, this.options.tokens, room));
    const batches = packIntoBatches(parts, room);
    const partCounts = new Map<string, number>();
    for (const { meetingId } of parts)
      partCounts.set(meetingId, (partCounts.get(meetingId) ?? 0) + 1);
    const keep = (ids: string[], requests: Array<{ meetingIds: string[]; answer: Insights }>) =>
      kept.keepOfMeetings(
        [...meetingShares(ids, requests)].map(([id, findings]) => ({
          key: keyOf.get(id) as string,
          findings,
        })),
      );
    // A meeting read whole in one request is kept as soon as its answer is in, so that a run
    // cut short by its deadline leaves what it did learn to the next one.
    const answers = await mapWithConcurrency(
      batches,
      this.options.concurrency ?? 3,
      async (batch) => {
        const answer = await this.ask(
          extract,
          batch.map((p) => p.text).join('\n\n---\n\n'),
          source,
          signal,
        );
        const meetingIds = batch.map((part) => part.meetingId);
        await keep(
          meetingIds.filter((id) => partCounts.get(id) === 1),
          [{ meetingIds, answer }],
        );
        return answer;
      },
    );
    await keep(
      [...partCounts].filter(([, count]) => count > 1).map(([id]) => id),
      batches.map((batch, i) => ({
        meetingIds: batch.map((part) => part.meetingId),
        answer: answers[i] as Insights,
      })),
    );

    const found = [
      ...(base ? [base.findings] : []),
      ...answers,
      ...rest.flatMap((m) => keptShares.get(keyOf.get(m.recording_id) as string) ?? []),
    ].filter((f) => f.goals.length + f.challenges.length > 0);
    const findings =
      found.length === 0
        ? { goals: [], challenges: [] }
        : found.length === 1
          ? (found[0] as Insights)
          : await this.merge(merge, found, source, signal);
    await kept.keepMerged(scope, { meetingKeys, findings });
    return findings;
  }

  /** Merges batch findings, in as many rounds as the budget needs. */
  private async merge(
    system: string,
    findings: Insights[],
    source: QuoteSource,
    signal: AbortSignal,
  ): Promise<Insights> {
    const room = this.room(system);
    let current = findings;
    let previousLines = Number.POSITIVE_INFINITY;
    for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
      const lines = current.flatMap((f) => [
        ...f.goals.map((g) => `goal: ${JSON.stringify(toLlmInsight(g))}`),
        ...f.challenges.map((c) => `challenge: ${JSON.stringify(toLlmInsight(c))}`),
      ]);
      // Distinct findings too many for one request: another round would only repeat this one.
      if (lines.length >= previousLines) return combined(current, source);
      previousLines = lines.length;
      const groups = packIntoBatches(
        lines.map((text) => ({
          meetingId: '',
          text,
          tokens: this.options.tokens.count(`${text}\n`),
        })),
        room,
      );
      current = await mapWithConcurrency(groups, this.options.concurrency ?? 3, (group) =>
        this.ask(system, group.map((l) => l.text).join('\n'), source, signal),
      );
      if (current.length === 1) return current[0] as Insights;
    }
    throw new PipelineError('The findings could not be merged within the token budget.');
  }

  /** Tokens left for material in a request with this system prompt. */
  private room(system: string): number {
    const framing = chatRequestTokens(
      this.options.tokens,
      [
        { role: 'system', content: system },
        { role: 'user', content: '' },
      ],
      this.schemaTokens,
    );
    return this.options.budgetTokens - framing;
  }

  private async ask(
    system: string,
    material: string,
    source: QuoteSource,
    signal: AbortSignal,
  ): Promise<Insights> {
    const messages: Message[] = [
      { role: 'system', content: system },
      { role: 'user', content: material },
    ];
    const started = performance.now();
    const observe = (outcome: string) =>
      this.options.onCall?.({
        upstream: 'llm',
        operation: 'chat_completion',
        outcome,
        seconds: (performance.now() - started) / 1000,
      });
    // The SDK adds an abort listener to the signal it is given and never removes it
    // (openai-node #1811): given the run's signal, a run of many requests would pile up one
    // listener per request for its whole life. It gets a signal of this request only.
    const request = new AbortController();
    const forwardAbort = () => request.abort(signal.reason);
    if (signal.aborted) forwardAbort();
    signal.addEventListener('abort', forwardAbort, { once: true });
    try {
      const completion = await this.options.client.chat.completions.parse(
        {
          model: this.options.model,
          temperature: TEMPERATURE,
          messages,
          response_format: RESPONSE_FORMAT,
        },
        { signal: request.signal },
      );
      const message = completion.choices[0]?.message;
      if (!message?.parsed) {
        observe('refused');
        throw new PipelineError('The LLM did not return goals and challenges in the asked form.');
      }
      observe('ok');
      return keepCitedInsights(message.parsed, source);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof PipelineError) throw error;
      observe(error instanceof OpenAI.APIError && error.status ? `http_${error.status}` : 'error');
      throw describeLlmFailure(error);
    } finally {
      signal.removeEventListener('abort', forwardAbort);
    }
  }
}

/** A message for the user that never repeats the server's text (it may echo the key). */
function describeLlmFailure(error: unknown): PipelineError {
  if (
    error instanceof OpenAI.AuthenticationError ||
    error instanceof OpenAI.PermissionDeniedError
  ) {
    return new PipelineError(
      `The LLM server refused the API key (HTTP ${error.status}): check OPENAI_API_KEY.`,
    );
  }
  if (error instanceof OpenAI.NotFoundError) {
    return new PipelineError('The LLM server does not know the model: check OPENAI_MODEL.');
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new PipelineError('The LLM server did not answer in time.');
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new PipelineError('The LLM server could not be reached: check OPENAI_BASE_URL.');
  }
  if (error instanceof OpenAI.APIError && error.status) {
    return new PipelineError(`The LLM request failed (HTTP ${error.status}) after retries.`);
  }
  return new PipelineError('The LLM answer could not be read.');
}

function extractPrompt(domain: string): string {
  return [
    `You analyse what was said in a sales or customer-success team's recorded meetings with the company ${domain}.`,
    `From the meeting material the user gives, list the company's goals (what ${domain} wants to achieve) and challenges (what stands in its way).`,
    'Rules: use only what the material says, never invent or guess; leave a list empty rather than guess;',
    `only ${domain}'s own goals and challenges, not what the other side proposes or offers;`,
    'keep hedged statements hedged: "we might" or "we are considering" is not a commitment or a plan;',
    'one concise sentence per item, written about the company; no two items that say the same thing;',
    `at most ${MAX_INSIGHTS} goals and ${MAX_INSIGHTS} challenges, most important first.`,
    `Evidence: for each item, 1 to ${MAX_QUOTES} quotes that support it, each with the meeting_id from its "Meeting <id>" header`,
    'and a quote copied word for word from that meeting: a part of one transcript line or a sentence of its summary.',
    'A transcript line reads "[HH:MM:SS] Speaker: text": quote only words of the text after the speaker\'s name,',
    'never the time or the name, and never join two lines. An item without such a quote must be left out.',
  ].join('\n');
}

function mergePrompt(domain: string): string {
  return [
    `The user gives goals and challenges of the company ${domain}, found in separate batches of its meetings, one per line with the quotes (evidence) that support it.`,
    'Merge them into one list of goals and one of challenges: combine items that say the same thing, keeping the union of their evidence',
    `(at most ${MAX_QUOTES} quotes, each copied exactly as given with its meeting_id); keep distinct items;`,
    `at most ${MAX_INSIGHTS} of each, most important first. Use only these items and this evidence.`,
  ].join('\n');
}

/** The run's meetings and transcript speakers, which the LLM's quotes are read against. */
function quoteSource(meetings: readonly FathomMeeting[], quotes: RunMeetingQuotes): QuoteSource {
  const speakers = new Set<string>([UNKNOWN_SPEAKER]);
  for (const meeting of meetings) {
    for (const line of meeting.transcript ?? []) {
      const name = line.speaker?.display_name?.trim();
      if (name) speakers.add(name);
    }
  }
  return {
    meetingIds: new Set(quotes.keys()),
    speakers,
    said: (meetingId, quote) => quotes.get(meetingId)?.find(quote) != null,
  };
}

/** Findings side by side, merged only where their texts are the same, each list capped. */
function combined(findings: Insights[], source: QuoteSource): Insights {
  return keepCitedInsights(
    {
      goals: findings.flatMap((f) => f.goals.map(toLlmInsight)),
      challenges: findings.flatMap((f) => f.challenges.map(toLlmInsight)),
    },
    source,
  );
}

/** Greedy packing in order: each batch stays within `room` tokens (a part never exceeds it). */
export function packIntoBatches<T extends Pick<DigestPart, 'tokens'>>(
  items: T[],
  room: number,
): T[][] {
  const SEPARATOR_TOKENS = 4;
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    if (current.length > 0 && used + SEPARATOR_TOKENS + item.tokens > room) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += item.tokens + SEPARATOR_TOKENS;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function mapWithConcurrency<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
