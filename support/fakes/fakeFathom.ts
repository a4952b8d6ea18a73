import type { IncomingMessage, ServerResponse } from 'node:http';
import { BehaviourScript, sendJson, startLoopbackServer } from './loopbackServer.ts';

/**
 * A fake Fathom External API (see /work/shared/FATHOM_API.md) on 127.0.0.1, so the production
 * fetch client talks to it over real HTTP with only its base URL changed.
 */

export interface FathomInvitee {
  name: string | null;
  email: string | null;
  email_domain: string | null;
  is_external: boolean;
}

export interface FathomTranscriptLine {
  speaker: { display_name: string; matched_calendar_invitee_email: string | null };
  text: string;
  timestamp: string;
}

export interface FathomMeeting {
  title: string;
  meeting_title: string | null;
  recording_id: number;
  url: string;
  share_url: string;
  created_at: string;
  scheduled_start_time: string | null;
  scheduled_end_time: string | null;
  recording_start_time: string | null;
  recording_end_time: string | null;
  calendar_invitees_domains_type: 'only_internal' | 'one_or_more_external';
  transcript_language: string;
  calendar_invitees: FathomInvitee[];
  recorded_by: { name: string; email: string; email_domain: string; team: string | null };
  transcript: FathomTranscriptLine[] | null;
  default_summary: { template_name: string; markdown_formatted: string } | null;
  action_items: unknown[] | null;
}

export type FathomBehaviour =
  /** `headers` replace the RateLimit-* headers the answer would carry. */
  | { kind: 'ok'; headers?: Record<string, string> }
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

export interface RecordedRequest {
  method: string;
  /** Full request path without the query, e.g. `/external/v1/meetings`. */
  path: string;
  query: URLSearchParams;
  apiKey: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FakeFathomOptions {
  meetings: FathomMeeting[];
  /** Default 'fathom-test-key'. */
  apiKey?: string;
  /** Default 10. */
  pageSize?: number;
  /** When set, enforced like Fathom: 429 + Retry-After once `limit` calls fall inside `windowMs`. */
  rateLimit?: { limit: number; windowMs: number };
  /**
   * As Fathom documents it, a meeting is associated with one company only: with this set,
   * `calendar_invitees_domains[]` matches only the domain of a meeting's first external
   * invitee, so a call with two external companies is listed under one of them. Default
   * false: any invitee's domain matches.
   */
  oneCompanyPerMeeting?: boolean;
}

export interface FakeFathom {
  /** e.g. http://127.0.0.1:PORT/external/v1 (no trailing slash). */
  baseUrl: string;
  /** Every request received, in order, whatever it was answered with. */
  requests: RecordedRequest[];
  /** The very array given as `options.meetings`: push to it to make a meeting appear. */
  meetings: FathomMeeting[];
  /** Queue behaviours for the next requests, one per request, in order; afterwards 'ok'. */
  enqueue(...behaviours: FathomBehaviour[]): void;
  /** Behaviour for every request from now on (overrides the queue when set; undefined clears). */
  setDefault(behaviour: FathomBehaviour | undefined): void;
  /** Also ends hanging requests and keep-alive connections. */
  close(): Promise<void>;
}

const BASE_PATH = '/external/v1';
const DEFAULT_API_KEY = 'fathom-test-key';
const DEFAULT_PAGE_SIZE = 10;
/** What the RateLimit-* headers announce when no limit is enforced: Fathom's documented quota. */
const NOMINAL_LIMIT = 60;

/** Thrown while handling a request to answer it with a 4xx JSON error. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeFathom(options: FakeFathomOptions): Promise<FakeFathom> {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const meetings = options.meetings;
  const requests: RecordedRequest[] = [];
  const script = new BehaviourScript<FathomBehaviour>();
  const limiter = options.rateLimit ? new SlidingWindowLimiter(options.rateLimit) : undefined;

  /** Headers every answer carries; they report the window without taking a slot from it. */
  const rateLimitHeaders = (): Record<string, string> => {
    if (!limiter) {
      return {
        'RateLimit-Limit': String(NOMINAL_LIMIT),
        'RateLimit-Remaining': String(NOMINAL_LIMIT),
        'RateLimit-Reset': '0',
      };
    }
    const state = limiter.peek(Date.now());
    return {
      'RateLimit-Limit': String(limiter.limit),
      'RateLimit-Remaining': String(state.remaining),
      'RateLimit-Reset': String(state.resetSeconds),
    };
  };

  const answerNormally = (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    headers: Record<string, string> = {},
  ): void => {
    const received = headerValue(request.headers['x-api-key']);
    if (received !== apiKey) {
      sendJson(response, 401, { error: 'Invalid or missing API key' }, rateLimitHeaders());
      return;
    }
    // Fathom counts calls per key, so only authenticated calls reach the limiter.
    if (limiter && !limiter.tryTake(Date.now())) {
      const headers = rateLimitHeaders();
      headers['Retry-After'] = String(Math.max(1, Number(headers['RateLimit-Reset'])));
      sendJson(response, 429, { error: 'Rate limit exceeded' }, headers);
      return;
    }
    try {
      const body = route(request.method ?? 'GET', url, meetings, {
        pageSize,
        oneCompanyPerMeeting: options.oneCompanyPerMeeting ?? false,
      });
      sendJson(response, 200, body, { ...rateLimitHeaders(), ...headers });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendJson(response, error.status, { error: error.message }, rateLimitHeaders());
    }
  };

  const server = await startLoopbackServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fathom.invalid');
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      apiKey: headerValue(request.headers['x-api-key']),
      at: Date.now(),
    });

    const behaviour = script.next() ?? { kind: 'ok' };
    switch (behaviour.kind) {
      case 'ok':
        answerNormally(request, response, url, behaviour.headers);
        return;
      case 'delay':
        server.later(behaviour.ms, () => answerNormally(request, response, url));
        return;
      case 'hang':
        // Left unanswered on purpose; close() destroys the socket.
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'status': {
        const headers = rateLimitHeaders();
        if (behaviour.retryAfterSeconds !== undefined) {
          headers['Retry-After'] = String(behaviour.retryAfterSeconds);
        }
        const body = behaviour.body ?? { error: `Scripted ${behaviour.status} from fake Fathom` };
        sendJson(response, behaviour.status, body, headers);
        return;
      }
    }
  });

  return {
    baseUrl: `${server.origin}${BASE_PATH}`,
    requests,
    meetings,
    enqueue: (...behaviours) => script.enqueue(...behaviours),
    setDefault: (behaviour) => script.setDefault(behaviour),
    close: () => server.close(),
  };
}

interface ListingRules {
  pageSize: number;
  oneCompanyPerMeeting: boolean;
}

function route(method: string, url: URL, meetings: FathomMeeting[], rules: ListingRules): unknown {
  if (method !== 'GET' || !url.pathname.startsWith(`${BASE_PATH}/`)) {
    throw new HttpError(404, `No route for ${method} ${url.pathname}`);
  }
  const rest = url.pathname.slice(BASE_PATH.length);
  if (rest === '/meetings') return listMeetings(url.searchParams, meetings, rules);

  const recording = /^\/recordings\/(\d+)\/(transcript|summary)$/.exec(rest);
  if (recording) {
    const id = Number(recording[1]);
    const meeting = meetings.find((candidate) => candidate.recording_id === id);
    if (!meeting) throw new HttpError(404, `Recording ${id} not found`);
    return recording[2] === 'transcript'
      ? { transcript: structuredClone(meeting.transcript) }
      : { summary: structuredClone(meeting.default_summary) };
  }
  throw new HttpError(404, `No route for ${method} ${url.pathname}`);
}

function listMeetings(
  query: URLSearchParams,
  meetings: FathomMeeting[],
  { pageSize, oneCompanyPerMeeting }: ListingRules,
) {
  const includeTranscript = booleanParam(query, 'include_transcript');
  const includeSummary = booleanParam(query, 'include_summary');
  const includeActionItems = booleanParam(query, 'include_action_items');
  const createdAfter = dateParam(query, 'created_after');
  const createdBefore = dateParam(query, 'created_before');
  const domains = new Set(query.getAll('calendar_invitees_domains[]').map(lower));
  const inviteeEmails = new Set(query.getAll('calendar_invitees[]').map(lower));
  const recorders = new Set(query.getAll('recorded_by[]').map(lower));
  const teams = new Set(query.getAll('teams[]'));
  const domainsType = query.get('calendar_invitees_domains_type') ?? 'all';
  if (!['all', 'only_internal', 'one_or_more_external'].includes(domainsType)) {
    throw new HttpError(400, `Invalid calendar_invitees_domains_type: ${domainsType}`);
  }

  const matching = meetings
    .filter((meeting) => {
      const created = Date.parse(meeting.created_at);
      if (createdAfter !== undefined && !(created > createdAfter)) return false;
      if (createdBefore !== undefined && !(created < createdBefore)) return false;
      if (domainsType !== 'all' && meeting.calendar_invitees_domains_type !== domainsType) {
        return false;
      }
      const invitees = meeting.calendar_invitees;
      const companies = oneCompanyPerMeeting
        ? invitees.filter((i) => i.is_external).slice(0, 1)
        : invitees;
      if (domains.size > 0 && !companies.some((i) => domains.has(lower(i.email_domain)))) {
        return false;
      }
      if (inviteeEmails.size > 0 && !invitees.some((i) => inviteeEmails.has(lower(i.email)))) {
        return false;
      }
      if (recorders.size > 0 && !recorders.has(lower(meeting.recorded_by.email))) return false;
      if (teams.size > 0 && !teams.has(meeting.recorded_by.team ?? '')) return false;
      return true;
    })
    .sort(
      (a, b) =>
        Date.parse(b.created_at) - Date.parse(a.created_at) || b.recording_id - a.recording_id,
    );

  const offset = decodeCursor(query.get('cursor'), matching.length);
  const end = offset + pageSize;
  const items = matching.slice(offset, end).map((meeting) => {
    const { transcript, default_summary, action_items, ...always } = structuredClone(meeting);
    return {
      ...always,
      ...(includeTranscript ? { transcript } : {}),
      ...(includeSummary ? { default_summary } : {}),
      ...(includeActionItems ? { action_items } : {}),
    };
  });
  return {
    limit: pageSize,
    next_cursor: end < matching.length ? encodeCursor(end) : null,
    items,
  };
}

// Cursors are opaque to clients; a tagged offset lets a garbled one be told apart and refused.
const CURSOR_TAG = 'fake-fathom-offset:';

function encodeCursor(offset: number): string {
  return Buffer.from(`${CURSOR_TAG}${offset}`).toString('base64url');
}

function decodeCursor(cursor: string | null, total: number): number {
  if (cursor === null) return 0;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const offset = decoded.startsWith(CURSOR_TAG) ? Number(decoded.slice(CURSOR_TAG.length)) : NaN;
  if (!Number.isInteger(offset) || offset <= 0 || offset > total) {
    throw new HttpError(400, `Invalid cursor: ${cursor}`);
  }
  return offset;
}

function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  // Strict on purpose: a client sending `1` or `yes` would be wrong against the real API too.
  throw new HttpError(400, `Invalid boolean for ${name}: ${value}`);
}

function dateParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new HttpError(400, `Invalid ISO 8601 date for ${name}: ${value}`);
  return time;
}

function lower(value: string | null): string {
  return (value ?? '').toLowerCase();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A sliding log: a call is admitted while fewer than `limit` admitted calls lie within the window. */
class SlidingWindowLimiter {
  readonly limit: number;
  private readonly windowMs: number;
  private admitted: number[] = [];

  constructor({ limit, windowMs }: { limit: number; windowMs: number }) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Refused calls are not logged, so a client that backs off is not punished for asking. */
  tryTake(now: number): boolean {
    this.forgetBefore(now - this.windowMs);
    if (this.admitted.length >= this.limit) return false;
    this.admitted.push(now);
    return true;
  }

  peek(now: number): { remaining: number; resetSeconds: number } {
    this.forgetBefore(now - this.windowMs);
    const oldest = this.admitted[0];
    return {
      remaining: Math.max(0, this.limit - this.admitted.length),
      resetSeconds: oldest === undefined ? 0 : Math.ceil((oldest + this.windowMs - now) / 1000),
    };
  }

  private forgetBefore(cutoff: number): void {
    while (this.admitted.length > 0 && (this.admitted[0] ?? 0) <= cutoff) this.admitted.shift();
  }
}
