import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
  TRANSPORTS,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const STATIC_TOKEN = 'static-token-for-tests-0123456789';
const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';

const secret = new TextEncoder().encode(JWT_SECRET);
const sign = (claims: { exp?: number }, key: Uint8Array | CryptoKey = secret, alg = 'HS256') => {
  const jwt = new SignJWT({ sub: 'user-1', role: 'authenticated' }).setProtectedHeader({ alg });
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
};
const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

let server: TestApp;
let pipeline: ScriptedPipeline;
let tokens: Record<string, string>;

beforeAll(async () => {
  pipeline = new ScriptedPipeline();
  server = await startTestApp(
    'memory',
    { AUTH_TOKENS: `other-token, ${STATIC_TOKEN}`, AUTH_JWT_SECRET: JWT_SECRET },
    { pipeline },
  );
  tokens = {
    validJwt: await sign({ exp: now() + 600 }),
    expiredJwt: await sign({ exp: now() - 60 }),
    wrongSignature: await sign(
      { exp: now() + 600 },
      new TextEncoder().encode('another-secret-0123456789abcdef'),
    ),
    noExp: await sign({}),
    // Signed with the configured secret, but not with HS256.
    hs384: await sign({ exp: now() + 600 }, secret, 'HS384'),
    rs256: await sign({ exp: now() + 600 }, (await generateKeyPair('RS256')).privateKey, 'RS256'),
    algNone: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'x', exp: now() + 600 })}.`,
    garbage: 'not-a-token',
  };
});
afterAll(async () => {
  await server.close();
});

const REJECTED = [
  'expiredJwt',
  'wrongSignature',
  'noExp',
  'algNone',
  'hs384',
  'rs256',
  'garbage',
] as const;

describe('auth over HTTP', () => {
  it('accepts a static token and a valid HS256 JWT', async () => {
    for (const token of [STATIC_TOKEN, tokens.validJwt as string]) {
      const result = await graphqlRequest(
        server.graphqlUrl,
        START,
        { domain: 'acme.com' },
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(result.status).toBe(200);
      expect(result.errors).toBeUndefined();
    }
  });

  it.each(['missing', ...REJECTED])(
    'refuses a %s token with 401 UNAUTHENTICATED and writes nothing',
    async (which) => {
      const headers: Record<string, string> =
        which === 'missing' ? {} : { authorization: `Bearer ${tokens[which]}` };
      const result = await graphqlRequest(
        server.graphqlUrl,
        START,
        { domain: 'refused.com' },
        headers,
      );
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await server.app.services.runs.list('refused.com', 10)).toEqual([]);
    },
  );

  it('never echoes the token in an error', async () => {
    const result = await graphqlRequest(
      server.graphqlUrl,
      '{ __typename }',
      {},
      {
        authorization: `Bearer ${tokens.wrongSignature}`,
      },
    );
    expect(JSON.stringify(result)).not.toContain(tokens.wrongSignature);
  });

  it('serves GraphiQL, /healthz and /readyz without a token', async () => {
    const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

describe.each(TRANSPORTS)('auth over %s subscriptions', (transport) => {
  async function runId(): Promise<string> {
    const result = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain: 'acme.com' },
      { authorization: `Bearer ${STATIC_TOKEN}` },
    );
    return result.data?.startEngagementSummary.runId as string;
  }

  it('streams with a valid token', async () => {
    const id = await runId();
    for (const token of [STATIC_TOKEN, tokens.validJwt]) {
      const sub = subscribe({ transport, ...server, token }, ENGAGEMENT_UPDATED, {
        domain: 'acme.com',
        runId: id,
      });
      await sub.waitFor(1);
      expect(sub.events).toHaveLength(1);
      await sub.dispose();
    }
  });

  it.each(['missing', ...REJECTED])('refuses a %s token', async (which) => {
    const id = await runId();
    const token = which === 'missing' ? undefined : tokens[which];
    const sub = subscribe({ transport, ...server, token }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId: id,
    });
    expect(await sub.ended).toBe('error');
    expect(sub.events).toEqual([]);
    const seen = JSON.stringify(sub.errors);
    if (transport === 'ws') expect(seen).toMatch(/"closeCode":44(03|01)/);
    else expect(seen).toContain('"httpStatus":401');
    await sub.dispose();
  });
});

describe('auth in the WebSocket connection_init payload', () => {
  /** The server's answer to connection_init: `connection_ack`, or the close code. */
  async function init(payload: Record<string, unknown>): Promise<string | number> {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const answer = new Promise<string | number>((resolve) => {
      socket.once('message', (data) => resolve(JSON.parse(String(data)).type));
      socket.once('close', (code) => resolve(code));
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
    const result = await answer;
    socket.terminate();
    return result;
  }

  it('accepts the header name in either case, and refuses a bad token under either', async () => {
    for (const name of ['Authorization', 'authorization']) {
      expect(await init({ [name]: `Bearer ${STATIC_TOKEN}` }), name).toBe('connection_ack');
      expect(await init({ [name]: `Bearer ${tokens.validJwt}` }), name).toBe('connection_ack');
      expect(await init({ [name]: `Bearer ${tokens.hs384}` }), name).toBeOneOf([4401, 4403]);
    }
    expect(await init({})).toBeOneOf([4401, 4403]);
  });
});

describe('bearer tokens in the logs', () => {
  it('never appear in any log line, at trace level, over every transport', async () => {
    const { logger, lines } = capturingLogger('trace');
    const traced = await startTestApp(
      'redis',
      { AUTH_TOKENS: STATIC_TOKEN, AUTH_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'trace' },
      { pipeline: new ScriptedPipeline({ stepDelayMs: 10 }), logger },
    );
    try {
      const valid = [STATIC_TOKEN, tokens.validJwt as string];
      const refused = [
        tokens.wrongSignature as string,
        tokens.expiredJwt as string,
        'bad-token-0123456789',
      ];
      const rest = `${traced.url}/make-server-888f4514`;
      for (const token of valid) {
        const authorization = `Bearer ${token}`;
        // HTTP: start a run, then watch it to its end over WebSocket and SSE.
        const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
          traced.graphqlUrl,
          START,
          { domain: 'acme.com' },
          { authorization },
        );
        const runId = started.data?.startEngagementSummary.runId as string;
        for (const transport of TRANSPORTS) {
          const sub = subscribe({ transport, ...traced, token }, ENGAGEMENT_UPDATED, {
            domain: 'acme.com',
            runId,
          });
          expect(await sub.ended).toBe('complete');
        }
        // REST: start and poll.
        const posted = await fetch(`${rest}/engagement-summary`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ domain: 'acme.com' }),
        });
        const { run_id } = (await posted.json()) as { run_id: string };
        const polled = await fetch(`${rest}/engagement-status?domain=acme.com&run_id=${run_id}`, {
          headers: { authorization },
        });
        expect(polled.status).toBe(200);
        expect((await fetch(`${traced.url}/metrics`, { headers: { authorization } })).status).toBe(
          200,
        );
      }
      for (const token of refused) {
        const authorization = `Bearer ${token}`;
        expect(
          (
            await graphqlRequest(
              traced.graphqlUrl,
              START,
              { domain: 'acme.com' },
              { authorization },
            )
          ).status,
        ).toBe(401);
        expect(
          (
            await fetch(`${rest}/engagement-status?domain=acme.com&run_id=${randomUUID()}`, {
              headers: { authorization },
            })
          ).status,
        ).toBe(401);
        for (const transport of TRANSPORTS) {
          const sub = subscribe({ transport, ...traced, token }, ENGAGEMENT_UPDATED, {
            domain: 'acme.com',
            runId: randomUUID(),
          });
          expect(await sub.ended).toBe('error');
        }
      }
      // Something was logged at all, or the check below would mean nothing.
      expect(lines.length).toBeGreaterThan(20);
      const log = lines.join('\n');
      for (const token of [...valid, ...refused]) {
        expect(log).not.toContain(token);
        // The signature alone identifies a JWT as well as the whole token does.
        const signature = token.split('.')[2];
        if (signature) expect(log).not.toContain(signature);
      }
    } finally {
      await traced.close();
    }
  });
});
