import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The environment, parsed once at start-up into a typed object. Nothing else in the service
 * reads `process.env`: the composition root hands this object (or parts of it) down.
 */

const emptyAsUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(emptyAsUndefined, z.string().trim().optional());
const positiveInt = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));
const booleanFlag = z.preprocess(
  emptyAsUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
);
const commaList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
);

const environmentSchema = z.object({
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(4000)),
  HOST: z.preprocess(emptyAsUndefined, z.string().trim().default('127.0.0.1')),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
  ),
  KV_PREFIX: z.preprocess((v) => v ?? '', z.string()),
  FATHOM_API_KEY: optionalString,
  FATHOM_BASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url().default('https://api.fathom.ai/external/v1'),
  ),
  FATHOM_WEBHOOK_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(
        /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/,
        'must be the whsec_… secret Fathom shows for the webhook (whsec_ and base64)',
      )
      .optional(),
  ),
  FATHOM_RATE_LIMIT: positiveInt(60),
  FATHOM_RATE_WINDOW_MS: positiveInt(60_000),
  MEETINGS_FILE: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  OPENAI_MODEL: z.preprocess(emptyAsUndefined, z.string().trim().default('gpt-4.1-mini')),
  SUMMARIZER: z.preprocess(emptyAsUndefined, z.enum(['openai', 'extractive']).default('openai')),
  LLM_INPUT_BUDGET_TOKENS: positiveInt(12000),
  AUTH_TOKENS: commaList,
  AUTH_JWT_SECRET: optionalString,
  AUTH_DISABLED: booleanFlag,
  RUN_TIMEOUT_MS: positiveInt(60_000),
  START_RATE_LIMIT: positiveInt(30),
  ENGAGEMENT_TTL_SECONDS: positiveInt(604_800),
  REST_BASE_PATH: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, 'must be a path such as /api')
      .default('/make-server-888f4514'),
  ),
  RUN_CONCURRENCY: positiveInt(8),
  RUN_WORKER: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'])
      .default('true')
      .transform((v) => v === 'true' || v === '1'),
  ),
  WORKER_LOCK_MS: positiveInt(30_000),
  SWEEP_INTERVAL_MS: positiveInt(5_000),
  MAX_BODY_BYTES: positiveInt(100 * 1024),
  GRAPHQL_MAX_DEPTH: positiveInt(10),
  WS_MAX_CONNECTIONS: positiveInt(15_000),
  WS_MAX_CONNECTIONS_PER_CLIENT: positiveInt(2_000),
  WS_KEEPALIVE_MS: positiveInt(12_000),
  WS_INIT_TIMEOUT_MS: positiveInt(3_000),
  TRUST_PROXY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be the number of proxies: a whole number, 0 or more')
      .default('0')
      .transform(Number),
  ),
  MAX_UNSENT_BYTES: positiveInt(1024 * 1024),
  HTTP_STREAM_HEARTBEAT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().positive().max(10_000, 'must be at most 10000 (10 s)').default(10_000),
  ),
  DEMO_STEP_DELAY_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(0)),
  GRAPHQL_INTROSPECTION: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'])
      .default('true')
      .transform((v) => v === 'true' || v === '1'),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['http/protobuf', 'http/json'], {
        error: 'must be http/protobuf or http/json (the OTLP/HTTP encodings; gRPC is not offered)',
      })
      .default('http/protobuf'),
  ),
  OTEL_SERVICE_NAME: z.preprocess(
    emptyAsUndefined,
    z.string().trim().default('engagement-summary'),
  ),
  GRAPHQL_TRUSTED_DOCUMENTS: booleanFlag,
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export type Environment = z.input<typeof environmentSchema>;

export interface Config {
  port: number;
  host: string;
  redisUrl: string | undefined;
  kvPrefix: string;
  fathom: {
    apiKey: string | undefined;
    baseUrl: string;
    /** Calls allowed per `rateWindowMs` (FATHOM_RATE_LIMIT per minute by default). */
    rateLimit: number;
    rateWindowMs: number;
    /** FATHOM_WEBHOOK_SECRET: verifies `POST /webhooks/fathom`; unset, the route is absent. */
    webhookSecret: string | undefined;
  };
  meetingsFile: string | undefined;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  summarizer: 'openai' | 'extractive';
  llmInputBudgetTokens: number;
  auth: { tokens: string[]; jwtSecret: string | undefined; disabled: boolean };
  runTimeoutMs: number;
  runConcurrency: number;
  /** With REDIS_URL: whether this process also works the job queue (RUN_WORKER). */
  runWorker: boolean;
  workerLockMs: number;
  sweepIntervalMs: number;
  maxBodyBytes: number;
  /** Deepest selection a query may have (introspection excepted). */
  graphqlMaxDepth: number;
  webSocket: {
    maxConnections: number;
    maxConnectionsPerClient: number;
    keepAliveMs: number;
    /** How long a new socket may stay open without `connection_init` (closed with 4408). */
    initTimeoutMs: number;
  };
  /**
   * Reverse proxies in front of the service that append to X-Forwarded-For (TRUST_PROXY);
   * 0: the client address is the socket's.
   */
  trustedProxies: number;
  /**
   * Data a WebSocket or SSE connection may have queued and unsent; past it the client is too
   * far behind and is closed.
   */
  maxUnsentBytes: number;
  /**
   * The longest a subscription streamed over HTTP (SSE or multipart) stays silent: past it a
   * heartbeat is sent (HTTP_STREAM_HEARTBEAT_MS, at most 10 s as Apollo's protocol asks).
   */
  httpStreamHeartbeatMs: number;
  /** Pause before each pipeline step, so that `npm run demo` can be watched step by step. */
  demoStepDelayMs: number;
  startRateLimitPerMinute: number;
  engagementTtlSeconds: number;
  restBasePath: string;
  introspection: boolean;
  /**
   * GRAPHQL_TRUSTED_DOCUMENTS: only the documents of persisted-documents.json run, named by
   * their hash; a request that sends a document's text is refused.
   */
  trustedDocuments: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** OpenTelemetry traces: set when OTEL_EXPORTER_OTLP_ENDPOINT is; undefined, nothing is traced. */
  tracing: TracingConfig | undefined;
}

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; traces go to `/v1/traces` under it. */
  endpoint: string;
  /** OTEL_EXPORTER_OTLP_PROTOCOL (the OpenTelemetry default: http/protobuf). */
  protocol: 'http/protobuf' | 'http/json';
  /** OTEL_SERVICE_NAME. */
  serviceName: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    kvPrefix: e.KV_PREFIX,
    fathom: {
      apiKey: e.FATHOM_API_KEY,
      baseUrl: e.FATHOM_BASE_URL,
      rateLimit: e.FATHOM_RATE_LIMIT,
      rateWindowMs: e.FATHOM_RATE_WINDOW_MS,
      webhookSecret: e.FATHOM_WEBHOOK_SECRET,
    },
    meetingsFile: e.MEETINGS_FILE,
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    summarizer: e.SUMMARIZER,
    llmInputBudgetTokens: e.LLM_INPUT_BUDGET_TOKENS,
    auth: { tokens: e.AUTH_TOKENS, jwtSecret: e.AUTH_JWT_SECRET, disabled: e.AUTH_DISABLED },
    runTimeoutMs: e.RUN_TIMEOUT_MS,
    runConcurrency: e.RUN_CONCURRENCY,
    runWorker: e.RUN_WORKER,
    workerLockMs: e.WORKER_LOCK_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    demoStepDelayMs: e.DEMO_STEP_DELAY_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    graphqlMaxDepth: e.GRAPHQL_MAX_DEPTH,
    webSocket: {
      maxConnections: e.WS_MAX_CONNECTIONS,
      maxConnectionsPerClient: e.WS_MAX_CONNECTIONS_PER_CLIENT,
      keepAliveMs: e.WS_KEEPALIVE_MS,
      initTimeoutMs: e.WS_INIT_TIMEOUT_MS,
    },
    trustedProxies: e.TRUST_PROXY,
    maxUnsentBytes: e.MAX_UNSENT_BYTES,
    httpStreamHeartbeatMs: e.HTTP_STREAM_HEARTBEAT_MS,
    startRateLimitPerMinute: e.START_RATE_LIMIT,
    engagementTtlSeconds: e.ENGAGEMENT_TTL_SECONDS,
    restBasePath: e.REST_BASE_PATH,
    introspection: e.GRAPHQL_INTROSPECTION,
    trustedDocuments: e.GRAPHQL_TRUSTED_DOCUMENTS,
    logLevel: e.LOG_LEVEL,
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
          protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
          serviceName: e.OTEL_SERVICE_NAME,
        }
      : undefined,
  };
  assertSafeToServe(config);
  return config;
}

export function authEnabled(config: Pick<Config, 'auth'>): boolean {
  return config.auth.tokens.length > 0 || config.auth.jwtSecret !== undefined;
}

/** Loopback hosts are the only ones that may serve without auth unless told explicitly. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

function assertSafeToServe(config: Config): void {
  if (!authEnabled(config) && !config.auth.disabled && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `HOST=${config.host} is not a loopback address and neither AUTH_TOKENS nor AUTH_JWT_SECRET is set: ` +
        'refusing to serve without auth. Set one of them, or AUTH_DISABLED=true to serve openly on purpose.',
    );
  }
}
