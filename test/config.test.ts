import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      redisUrl: undefined,
      kvPrefix: '',
      fathom: { baseUrl: 'https://api.fathom.ai/external/v1', rateLimit: 60, rateWindowMs: 60000 },
      summarizer: 'openai',
      llmInputBudgetTokens: 12000,
      runTimeoutMs: 60000,
      maxUnsentBytes: 1024 * 1024,
      httpStreamHeartbeatMs: 10_000,
      startRateLimitPerMinute: 30,
      engagementTtlSeconds: 604800,
      restBasePath: '/make-server-888f4514',
      trustedDocuments: false,
    });
  });

  it('reads GRAPHQL_TRUSTED_DOCUMENTS as a boolean, off by default', () => {
    expect(loadConfig({ GRAPHQL_TRUSTED_DOCUMENTS: 'true' }).trustedDocuments).toBe(true);
    expect(loadConfig({ GRAPHQL_TRUSTED_DOCUMENTS: 'false' }).trustedDocuments).toBe(false);
    // As every other flag: true/false, 1/0, yes/no; anything else is refused.
    expect(loadConfig({ GRAPHQL_TRUSTED_DOCUMENTS: 'yes' }).trustedDocuments).toBe(true);
    expect(() => loadConfig({ GRAPHQL_TRUSTED_DOCUMENTS: 'maybe' })).toThrow(
      /GRAPHQL_TRUSTED_DOCUMENTS/,
    );
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ RUN_TIMEOUT_MS: '-1' }, 'RUN_TIMEOUT_MS'],
    [{ MAX_UNSENT_BYTES: '0' }, 'MAX_UNSENT_BYTES'],
    [{ MAX_UNSENT_BYTES: '1MB' }, 'MAX_UNSENT_BYTES'],
    [{ HTTP_STREAM_HEARTBEAT_MS: '10001' }, 'HTTP_STREAM_HEARTBEAT_MS'],
    [{ HTTP_STREAM_HEARTBEAT_MS: '0' }, 'HTTP_STREAM_HEARTBEAT_MS'],
    [{ SUMMARIZER: 'gpt' }, 'SUMMARIZER'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ FATHOM_BASE_URL: 'not a url' }, 'FATHOM_BASE_URL'],
    [{ ENGAGEMENT_TTL_SECONDS: '1.5' }, 'ENGAGEMENT_TTL_SECONDS'],
    [{ TRUST_PROXY: '-1' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '1.5' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '0x2' }, 'TRUST_PROXY'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
  ])('stops on %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set, over http/protobuf unless told', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      protocol: 'http/protobuf',
      serviceName: 'engagement-summary',
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'engagement-summary-eu',
      }).tracing,
    ).toEqual({
      endpoint: 'https://otel.example.com/otlp',
      protocol: 'http/json',
      serviceName: 'engagement-summary-eu',
    });
  });

  it('reads TRUST_PROXY as a count of proxies, 0 by default', () => {
    expect(loadConfig({}).trustedProxies).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '' }).trustedProxies).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustedProxies).toBe(0);
    expect(loadConfig({ TRUST_PROXY: ' 2 ' }).trustedProxies).toBe(2);
  });

  it('takes FATHOM_WEBHOOK_SECRET only in the whsec_ form Fathom shows, never repeating it', () => {
    expect(loadConfig({}).fathom.webhookSecret).toBeUndefined();
    expect(
      loadConfig({ FATHOM_WEBHOOK_SECRET: ' whsec_c2VjcmV0LWtleQ== ' }).fathom.webhookSecret,
    ).toBe('whsec_c2VjcmV0LWtleQ==');
    expect(() => loadConfig({ FATHOM_WEBHOOK_SECRET: 'whsec_' })).toThrow(/FATHOM_WEBHOOK_SECRET/);
    for (const bad of ['c2VjcmV0LWtleQ==', 'whsec_not base64 secret!']) {
      expect(() => loadConfig({ FATHOM_WEBHOOK_SECRET: bad })).toThrow(/FATHOM_WEBHOOK_SECRET/);
      expect(() => loadConfig({ FATHOM_WEBHOOK_SECRET: bad })).not.toThrow(bad);
    }
  });

  it('refuses a non-loopback HOST without auth unless AUTH_DISABLED=true', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/AUTH_TOKENS|AUTH_JWT_SECRET/);
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_DISABLED: 'true' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_TOKENS: 'a,b' }).auth.tokens).toEqual(['a', 'b']);
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it.each([
    // A secret beside the bad variable, and a secret inside the bad value itself.
    [{ OPENAI_API_KEY: 'sk-secret-value', PORT: 'x' }, 'PORT', 'sk-secret-value'],
    [{ REDIS_URL: 'http://:redis-secret-password@db:6379' }, 'REDIS_URL', 'redis-secret-password'],
    [
      { AUTH_JWT_SECRET: 'jwt-secret-value', RUN_TIMEOUT_MS: 'soon' },
      'RUN_TIMEOUT_MS',
      'jwt-secret-value',
    ],
  ])('stops on %j naming %s without repeating a secret', (env, name, secret) => {
    let thrown: unknown;
    expect(() => {
      try {
        loadConfig(env);
      } catch (error) {
        thrown = error;
        throw error;
      }
    }).toThrow(ConfigError);
    expect(String(thrown)).toContain(name);
    expect(String(thrown)).not.toContain(secret);
    expect(JSON.stringify(thrown)).not.toContain(secret);
  });
});
