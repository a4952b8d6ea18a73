import type { z } from 'zod';
import { sleep } from '../../timing.ts';
import { PipelineError } from '../engagementPipeline.ts';
import type { UpstreamCallObserver } from '../upstreamCall.ts';
import {
  type FathomMeeting,
  type FathomTranscriptLine,
  meetingsPageSchema,
  transcriptResponseSchema,
} from './fathomMeeting.ts';
import type { UpstreamRateLimiter } from './upstreamRateLimiter.ts';

export interface FathomClientOptions {
  apiKey: string;
  baseUrl: string;
  rateLimiter: UpstreamRateLimiter;
  onCall?: UpstreamCallObserver;
  /** Longest wait for one response before it is retried. */
  attemptTimeoutMs?: number;
  /** Retries of a 5xx, a network error or a hung attempt (429s wait as told instead). */
  maxRetries?: number;
  /** First backoff; doubles with each retry, with jitter. */
  backoffMs?: number;
}

/**
 * A small typed client for the two Fathom endpoints the pipeline needs. Every call waits
 * for the deployment-wide rate limit, obeys 429 Retry-After and RateLimit-* headers,
 * retries 5xx and network errors with backoff, and ends when the run's signal aborts.
 * Errors it throws are PipelineErrors whose messages are safe to show (never the key).
 *
 * Why not the official `fathom-typescript` SDK: on 400, 401 and 429 its `listMeetings`
 * resolves with `result: undefined` instead of throwing, and it neither reads Retry-After
 * nor shares a rate limit between processes, so this client would have to re-derive every
 * failure from an empty result. Thirty lines of fetch with zod validation say it directly.
 */
export class FathomClient {
  private readonly attemptTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;

  constructor(private readonly options: FathomClientOptions) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 20_000;
    this.maxRetries = options.maxRetries ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
  }

  /**
   * Every meeting Fathom lists for the filter, following `next_cursor` to the last page:
   * meetings Fathom associates with one of `inviteeDomains`, or to which one of
   * `inviteeEmails` was invited. Summaries and action items are included; transcripts when
   * asked (they are most of a page's weight).
   */
  async listMeetings(
    filter: { inviteeDomains?: string[]; inviteeEmails?: string[]; includeTranscript: boolean },
    signal: AbortSignal,
  ): Promise<FathomMeeting[]> {
    const meetings: FathomMeeting[] = [];
    let cursor: string | null | undefined;
    do {
      const query = new URLSearchParams();
      for (const domain of filter.inviteeDomains ?? []) {
        query.append('calendar_invitees_domains[]', domain);
      }
      for (const email of filter.inviteeEmails ?? []) query.append('calendar_invitees[]', email);
      query.set('include_summary', 'true');
      query.set('include_action_items', 'true');
      query.set('include_transcript', String(filter.includeTranscript));
      if (cursor) query.set('cursor', cursor);
      const page = parseResponse(
        meetingsPageSchema,
        await this.getJson('list_meetings', `/meetings?${query}`, signal),
      );
      meetings.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return meetings;
  }

  async getTranscript(recordingId: string, signal: AbortSignal): Promise<FathomTranscriptLine[]> {
    const body = parseResponse(
      transcriptResponseSchema,
      await this.getJson(
        'get_transcript',
        `/recordings/${encodeURIComponent(recordingId)}/transcript`,
        signal,
      ),
    );
    return body.transcript ?? [];
  }

  private async getJson(operation: string, path: string, signal: AbortSignal): Promise<unknown> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}`;
    for (let attempt = 0; ; attempt++) {
      await this.options.rateLimiter.acquire(signal);
      const started = performance.now();
      const observe = (outcome: string) =>
        this.options.onCall?.({
          upstream: 'fathom',
          operation,
          outcome,
          seconds: (performance.now() - started) / 1000,
        });

      let response: Response;
      try {
        response = await fetch(url, {
          headers: { 'X-Api-Key': this.options.apiKey, accept: 'application/json' },
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.attemptTimeoutMs)]),
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const timedOut = (error as Error).name === 'TimeoutError';
        observe(timedOut ? 'timeout' : 'network');
        if (attempt >= this.maxRetries) {
          throw new PipelineError(
            timedOut
              ? `Fathom did not answer within ${this.attemptTimeoutMs} ms, ${attempt + 1} times.`
              : `Fathom could not be reached (${attempt + 1} attempts).`,
          );
        }
        await sleep(this.backoff(attempt), signal);
        continue;
      }

      await this.respectRateLimitHeaders(response);
      if (response.ok) {
        try {
          const body = await response.json();
          observe('ok');
          return body;
        } catch {
          if (signal.aborted) throw signal.reason;
          observe('invalid_body');
          throw new PipelineError('Fathom answered with a body that is not JSON.');
        }
      }
      await response.body?.cancel();
      observe(`http_${response.status}`);

      if (response.status === 429) {
        const waitMs = retryAfterMs(response) ?? this.backoff(attempt);
        await this.options.rateLimiter.pauseFor(waitMs);
        if (attempt >= this.maxRetries + 4) {
          throw new PipelineError('Fathom kept answering 429 (rate limited); try again later.');
        }
        continue; // acquire() waits out the pause
      }
      if (response.status === 401 || response.status === 403) {
        throw new PipelineError(
          `Fathom refused the API key (HTTP ${response.status}): check FATHOM_API_KEY.`,
        );
      }
      if (response.status >= 500 && attempt < this.maxRetries) {
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      throw new PipelineError(
        response.status >= 500
          ? `Fathom failed (HTTP ${response.status}) ${attempt + 1} times in a row.`
          : `Fathom refused the request (HTTP ${response.status}).`,
      );
    }
  }

  /** RateLimit-Remaining: 0 means no call until RateLimit-Reset, for every instance. */
  private async respectRateLimitHeaders(response: Response): Promise<void> {
    const remaining = Number(response.headers.get('ratelimit-remaining'));
    const reset = Number(response.headers.get('ratelimit-reset'));
    if (response.headers.has('ratelimit-remaining') && remaining <= 0 && reset > 0) {
      await this.options.rateLimiter.pauseFor(reset * 1000);
    }
  }

  private backoff(attempt: number): number {
    const base = this.backoffMs * 2 ** attempt;
    return base / 2 + Math.random() * base;
  }
}

function parseResponse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PipelineError(
    `Fathom answered in an unexpected shape (${issue?.path.join('.') || 'body'}: ${issue?.message}).`,
  );
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
