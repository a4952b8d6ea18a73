import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BehaviourScript, readBody, sendJson, startLoopbackServer } from './loopbackServer.ts';

/**
 * A fake OpenAI Chat Completions endpoint on 127.0.0.1 for the official `openai` SDK (v6) with
 * only `baseURL` changed. It answers structured-output requests with a JSON object that
 * `respond` produces, and rejects strict schemas the real API would reject.
 */

export interface ChatRequestRecord {
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    temperature?: number;
    response_format?: unknown;
    [k: string]: unknown;
  };
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
}

export type OpenAIBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; message?: string }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  /** Answers 200 with this exact message content (e.g. malformed JSON). */
  | { kind: 'content'; content: string }
  /** Answers 200 with a refusal instead of content, as the model does for unsafe prompts. */
  | { kind: 'refusal'; refusal?: string }
  /** Answers 200 with `finish_reason: 'length'`: the SDK's parse() throws LengthFinishReasonError. */
  | { kind: 'truncated' };

export interface FakeOpenAIOptions {
  /** Default 'openai-test-key'. */
  apiKey?: string;
  /** Produces the JSON object the model "answers"; default: defaultInsightsAnswer. */
  respond?: (request: ChatRequestRecord) => unknown;
}

export interface FakeOpenAI {
  /** http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** Every POST /v1/chat/completions with a JSON body, in order, whatever it was answered with. */
  requests: ChatRequestRecord[];
  /** Behaviours apply to chat completions only, one per request; afterwards 'ok'. */
  enqueue(...behaviours: OpenAIBehaviour[]): void;
  setDefault(behaviour: OpenAIBehaviour | undefined): void;
  close(): Promise<void>;
}

/** One finding in the shape the summariser asks for: a sentence and its quotes. */
export interface AnsweredInsight {
  text: string;
  evidence: Array<{ meeting_id: string; quote: string }>;
}

export interface InsightsAnswer {
  goals: AnsweredInsight[];
  challenges: AnsweredInsight[];
}

const DEFAULT_API_KEY = 'openai-test-key';
const MAX_CITED_MEETINGS = 20;
/** Makes the SDK's own retries of 429/5xx take milliseconds instead of seconds. */
const FAST_RETRY_HEADERS = { 'retry-after-ms': '10' };

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const respond = options.respond ?? defaultInsightsAnswer;
  const requests: ChatRequestRecord[] = [];
  const script = new BehaviourScript<OpenAIBehaviour>();
  let completionCount = 0;

  const answerCompletion = (
    record: ChatRequestRecord,
    response: ServerResponse,
    scripted: OpenAIBehaviour,
  ): void => {
    if (!authorised(record.authorization, apiKey, response)) return;
    const invalid = invalidCompletionRequest(record.body);
    if (invalid) {
      sendError(response, 400, invalid.message, invalid.param);
      return;
    }

    let content: string | null = null;
    let refusal: string | null = null;
    let finishReason = 'stop';
    if (scripted.kind === 'content') content = scripted.content;
    else if (scripted.kind === 'refusal') {
      refusal = scripted.refusal ?? "I'm sorry, I can't help with that request.";
    } else {
      content = JSON.stringify(respond(record));
      if (scripted.kind === 'truncated') {
        finishReason = 'length';
        content = content.slice(0, Math.ceil(content.length / 2));
      }
    }

    completionCount++;
    const promptTokens = estimateTokens(
      record.body.messages.map((m) => textOf(m.content)).join('\n'),
    );
    const completionTokens = estimateTokens(content ?? refusal ?? '');
    sendJson(
      response,
      200,
      {
        id: `chatcmpl-fake${String(completionCount).padStart(6, '0')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: record.body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal, annotations: [] },
            finish_reason: finishReason,
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
        system_fingerprint: 'fp_fake',
      },
      requestIdHeader(),
    );
  };

  const handleCompletion = async (request: IncomingMessage, response: ServerResponse) => {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      // What OpenAI answers to a body that is not JSON.
      sendError(response, 400, 'We could not parse the JSON body of your request.', null);
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendError(response, 400, 'The request body must be a JSON object.', null);
      return;
    }
    const record: ChatRequestRecord = {
      body: body as ChatRequestRecord['body'],
      authorization: request.headers.authorization,
      at: Date.now(),
    };
    requests.push(record);

    const behaviour = script.next() ?? { kind: 'ok' };
    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'delay':
        server.later(behaviour.ms, () => answerCompletion(record, response, behaviour));
        return;
      case 'status':
        sendError(
          response,
          behaviour.status,
          behaviour.message ?? `Scripted ${behaviour.status} from fake OpenAI`,
          null,
        );
        return;
      default:
        answerCompletion(record, response, behaviour);
    }
  };

  const server = await startLoopbackServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://openai.invalid').pathname;
    if (request.method === 'POST' && path === '/v1/chat/completions') {
      await handleCompletion(request, response);
    } else if (request.method === 'GET' && path === '/v1/models') {
      if (!authorised(request.headers.authorization, apiKey, response)) return;
      sendJson(
        response,
        200,
        {
          object: 'list',
          data: [{ id: 'gpt-test', object: 'model', created: 0, owned_by: 'test' }],
        },
        requestIdHeader(),
      );
    } else {
      sendError(response, 404, `Invalid URL (${request.method} ${path})`, null);
    }
  });

  return {
    baseUrl: `${server.origin}/v1`,
    requests,
    enqueue: (...behaviours) => script.enqueue(...behaviours),
    setDefault: (behaviour) => script.setDefault(behaviour),
    close: () => server.close(),
  };
}

/**
 * The default model answer, as a careful model would give it. For meeting material (sections
 * under `Meeting <id>: ...` headers): one goal and one challenge per meeting, each quoting
 * verbatim words of that meeting (the text after the speaker of a `[HH:MM:SS] Speaker: text`
 * line, else a summary line), so tests can check which meetings reached the prompt and that
 * quotes survive verification. For findings to merge (`goal: {...}` / `challenge: {...}`
 * lines): the items with the same text combined, keeping the union of their evidence.
 */
export function defaultInsightsAnswer(request: ChatRequestRecord): InsightsAnswer {
  const material = request.body.messages
    .filter((message) => message.role === 'user')
    .map((message) => textOf(message.content))
    .join('\n');
  const findings = [...material.matchAll(/^(goal|challenge): (\{.*\})$/gm)];
  if (findings.length > 0) {
    return {
      goals: mergedFindings(findings.filter((f) => f[1] === 'goal').map((f) => f[2] as string)),
      challenges: mergedFindings(
        findings.filter((f) => f[1] === 'challenge').map((f) => f[2] as string),
      ),
    };
  }
  const sections = meetingSections(material).slice(0, MAX_CITED_MEETINGS);
  const insight = (kind: string, id: string, quote: string): AnsweredInsight => ({
    text: `${kind} drawn from meeting ${id}`,
    evidence: [{ meeting_id: id, quote }],
  });
  return {
    goals: sections.map(({ id, quotes }) => insight('Goal', id, quotes[0] as string)),
    challenges: sections.map(({ id, quotes }) =>
      insight('Challenge', id, (quotes[1] ?? quotes[0]) as string),
    ),
  };
}

/** Each meeting in the material with words it can quote, in order of first mention. */
function meetingSections(material: string): Array<{ id: string; quotes: string[] }> {
  const headers = [...material.matchAll(/^Meeting (\d+): .*$/gm)];
  const byId = new Map<string, string[]>();
  headers.forEach((header, i) => {
    const body = material.slice(
      (header.index ?? 0) + header[0].length,
      headers[i + 1]?.index ?? material.length,
    );
    const spoken = [...body.matchAll(/^\[\d{1,2}:\d{2}:\d{2}\] [^:\n]+: (.+)$/gm)];
    const summarised = [...body.matchAll(/^\s*[-*] (.+)$/gm)];
    const quotes = [...spoken, ...summarised].map((match) => (match[1] as string).trim());
    const id = header[1] as string;
    if (quotes.length > 0) byId.set(id, [...(byId.get(id) ?? []), ...quotes]);
  });
  return [...byId].map(([id, quotes]) => ({ id, quotes }));
}

/** Earlier findings with the same text as one item with all their evidence. */
function mergedFindings(lines: string[]): AnsweredInsight[] {
  const byText = new Map<string, AnsweredInsight>();
  for (const line of lines) {
    const item = JSON.parse(line) as AnsweredInsight;
    const known = byText.get(item.text);
    if (known) known.evidence.push(...item.evidence);
    else byText.set(item.text, { text: item.text, evidence: [...item.evidence] });
  }
  return [...byText.values()];
}

function authorised(
  authorization: string | undefined,
  apiKey: string,
  response: ServerResponse,
): boolean {
  if (authorization === `Bearer ${apiKey}`) return true;
  const given = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  if (!given) {
    sendError(
      response,
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      null,
      null,
    );
    return false;
  }
  // OpenAI echoes only the ends of a wrong key.
  const masked = given.length > 8 ? `${given.slice(0, 3)}...${given.slice(-4)}` : given;
  sendError(
    response,
    401,
    `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    null,
    'invalid_api_key',
  );
  return false;
}

/** The checks the real endpoint makes that a client could plausibly get wrong. */
function invalidCompletionRequest(
  body: ChatRequestRecord['body'],
): { message: string; param: string } | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return { message: 'you must provide a model parameter', param: 'model' };
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { message: "Invalid 'messages': empty array.", param: 'messages' };
  }
  if (body.stream === true) {
    return {
      message: 'The fake OpenAI server does not stream; call without stream.',
      param: 'stream',
    };
  }
  const format = body.response_format as
    | { type?: string; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } }
    | undefined;
  if (format?.type !== 'json_schema') return undefined;
  const jsonSchema = format.json_schema;
  if (typeof jsonSchema?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(jsonSchema.name)) {
    return {
      message: "Invalid 'response_format.json_schema.name': must match ^[a-zA-Z0-9_-]{1,64}$.",
      param: 'response_format.json_schema.name',
    };
  }
  if (jsonSchema.strict !== true) return undefined;
  const problem = strictSchemaProblem(jsonSchema.schema, []);
  return problem
    ? {
        message: `Invalid schema for response_format '${jsonSchema.name}': ${problem}`,
        param: 'response_format',
      }
    : undefined;
}

/**
 * OpenAI's strict structured outputs demand a closed object at the root and everywhere below it,
 * with every property listed in `required`; a schema breaking that is a 400 in production.
 */
function strictSchemaProblem(schema: unknown, context: string[]): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const node = schema as Record<string, unknown>;
  const where = `In context=(${context.map((part) => `'${part}'`).join(', ')})`;
  if (context.length === 0 && node.type !== 'object') {
    return `${where}, schema must be a JSON Schema of 'type: "object"', got 'type: "${String(node.type)}"'.`;
  }
  const isObject =
    node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
  if (isObject) {
    if (node.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = Object.keys(properties).find((key) => !required.includes(key));
    if (missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
    }
    for (const [key, child] of Object.entries(properties)) {
      const problem = strictSchemaProblem(child, [...context, 'properties', key]);
      if (problem) return problem;
    }
  }
  const nested: Array<[string, unknown]> = [['items', node.items]];
  for (const keyword of ['anyOf', '$defs', 'definitions'] as const) {
    const value = node[keyword];
    if (Array.isArray(value)) {
      for (const [i, child] of value.entries()) nested.push([`${keyword}/${i}`, child]);
    } else if (value && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) nested.push([`${keyword}/${name}`, child]);
    }
  }
  for (const [part, child] of nested) {
    const problem = strictSchemaProblem(child, [...context, part]);
    if (problem) return problem;
  }
  return undefined;
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null = defaultErrorCode(status),
): void {
  const retryable = status === 429 || status >= 500;
  sendJson(
    response,
    status,
    { error: { message, type: errorType(status), param, code } },
    { ...requestIdHeader(), ...(retryable ? FAST_RETRY_HEADERS : {}) },
  );
}

function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function defaultErrorCode(status: number): string | null {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  return null;
}

function requestIdHeader(): Record<string, string> {
  return { 'x-request-id': `req_${randomBytes(16).toString('hex')}` };
}

/** Content may be a string or, in the SDK's richer form, an array of text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
      .join('\n');
  }
  return '';
}

/** Roughly four characters per token, which is what the budget maths needs in tests. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
