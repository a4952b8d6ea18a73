import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth.ts';
import type { Backend } from './backends.ts';
import type { Config } from './config.ts';
import type { AppServices } from './context.ts';
import { createWorker } from './createWorker.ts';
import { createClientAddressOf, UNKNOWN_ADDRESS } from './http/clientAddress.ts';
import { createHttpServer } from './http/httpServer.ts';
import { useCompiledExecution } from './http/plugins/useCompiledExecution.ts';
import { useHardening } from './http/plugins/useHardening.ts';
import { useRefusedSubscriptionRelease } from './http/plugins/useRefusedSubscriptionRelease.ts';
import { useSharedHttpStreams } from './http/plugins/useSharedHttpStreams.ts';
import { useSharedSubscriptionExecution } from './http/plugins/useSharedSubscriptionExecution.ts';
import { useStreamedSubscriptions } from './http/plugins/useStreamedSubscriptions.ts';
import { useTrustedDocuments } from './http/plugins/useTrustedDocuments.ts';
import { bodyLimitRoute } from './http/routes/bodyLimitRoute.ts';
import { createFathomWebhookRoute } from './http/routes/fathomWebhookRoute.ts';
import { createOperationalRoutes } from './http/routes/operationalRoutes.ts';
import { createPollingRoutes } from './http/routes/pollingRoutes.ts';
import { SerialisedResults } from './http/serialisedResults.ts';
import { SharedSubscriptions } from './http/sharedSubscriptions.ts';
import { TrustedDocuments } from './http/trustedDocuments.ts';
import { UnsentDataLimit } from './http/unsentDataLimit.ts';
import { attachGraphQLWebSocket } from './http/websocket/graphqlWebSocket.ts';
import { createEngagementYoga } from './http/yoga.ts';
import type { KeySpace } from './kv/keySpace.ts';
import { ServiceMetrics } from './metrics.ts';
import type { EngagementPipeline } from './pipeline/engagementPipeline.ts';
import { externalCompanyDomains } from './pipeline/meetingFacts.ts';
import type { RunProcessing } from './runProcessing.ts';
import { EngagementRuns } from './runs/engagementRuns.ts';
import { buildSchema } from './schema/index.ts';
import { NO_TRACING, type Tracing } from './tracing/tracing.ts';
import { createLivePageRoute } from './web/livePageRoute.ts';

export interface AppOverrides {
  /** The work behind each run; tests pass a scripted one. */
  pipeline?: EngagementPipeline;
  logger?: Logger;
  /**
   * OpenTelemetry, loaded by main.ts when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans for runs,
   * upstream calls and REST calls, and the plugin that gives each GraphQL operation one.
   */
  tracing?: { tracing: Tracing; graphqlPlugins: Plugin[] };
}

export interface App {
  readonly config: Config;
  readonly server: Server;
  readonly backend: Backend;
  readonly keys: KeySpace;
  readonly services: AppServices;
  readonly logger: Logger;
  readonly processing: RunProcessing;
  readonly metrics: ServiceMetrics;
  /** Starts listening on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: no new connections, subscriptions ended, runs drained, Redis closed. */
  close(): Promise<void>;
}

/** The composition root: every part of the service is built here, once, from the config. */
export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const metrics = new ServiceMetrics();
  const tracing = overrides.tracing?.tracing ?? NO_TRACING;
  // The backend and the run queue, and the execution of runs unless RUN_WORKER=false.
  const worker = createWorker(config, {
    pipeline: overrides.pipeline,
    logger: overrides.logger,
    work: config.runWorker,
    onRunEnded: (outcome, seconds) => metrics.runEnded(outcome, seconds),
    onUpstreamCall: (call) => metrics.upstreamCall(call),
    tracing: overrides.tracing?.tracing,
  });
  const { logger, keys, backend, processing } = worker;
  const runs = new EngagementRuns({
    store: backend.store,
    events: backend.events,
    keys,
    queue: processing.queue,
    runTimeoutMs: config.runTimeoutMs,
    onRunStarted: () => metrics.runStarted(),
    onWatchChange: (transport, delta) => metrics.subscriptionChanged(transport, delta),
  });
  backend.onEventsReconnected(() => {
    logger.info('pub/sub reconnected; catching open subscriptions up');
    runs.resyncWatches().catch((error: unknown) => logger.warn({ err: error }, 'resync failed'));
  });
  const services: AppServices = {
    runs,
    admitStart: (principal) => backend.startLimiter.admit(principal),
  };

  const auth = createAuthenticator(config.auth);
  const clientAddressOf = createClientAddressOf(config.trustedProxies);
  const unsentLimit = new UnsentDataLimit(config.maxUnsentBytes, {
    logger,
    onClosed: (transport) => metrics.slowClientClosed(transport),
  });
  const trustedDocuments = new TrustedDocuments({ enforce: config.trustedDocuments });
  const serialisedResults = new SerialisedResults();
  // One for every transport: a subscriber joins an identical stream however it came.
  const sharedSubscriptions = new SharedSubscriptions({
    onJoinerChange: (transport, delta) => metrics.subscriptionChanged(transport, delta),
  });
  const yoga = createEngagementYoga({
    schema: buildSchema(),
    services,
    auth,
    clientAddressOf,
    logger,
    introspection: config.introspection,
    plugins: [
      useTrustedDocuments(trustedDocuments, { logger, clientAddressOf }),
      useHardening({ maxDepth: config.graphqlMaxDepth }),
      useCompiledExecution(logger),
      useSharedHttpStreams({
        streams: sharedSubscriptions,
        admit: (request, req) =>
          auth.authenticate(
            request.headers.get('authorization'),
            req ? clientAddressOf(req) : UNKNOWN_ADDRESS,
          ),
        tracing,
      }),
      useSharedSubscriptionExecution(),
      useStreamedSubscriptions({
        serialisedResults,
        limit: unsentLimit,
        clientAddress: clientAddressOf,
        heartbeatMs: config.httpStreamHeartbeatMs,
      }),
      useRefusedSubscriptionRelease(),
      // Last, so that it wraps the execution the plugins above settled on.
      ...(overrides.tracing?.graphqlPlugins ?? []),
    ],
  });
  const server = createHttpServer(
    [
      createOperationalRoutes({
        checkReady: () => backend.store.ping(),
        metrics,
        auth,
        clientAddressOf,
        logger,
      }),
      ...(config.fathom.webhookSecret
        ? [
            createFathomWebhookRoute({
              secret: config.fathom.webhookSecret,
              deliveries: backend.deliveries,
              clientAddressOf,
              logger,
              tracing,
              onMeeting: async (meeting) => {
                const started = await runs.refreshKnownCompanies(externalCompanyDomains(meeting));
                logger.info(
                  {
                    recordingId: meeting.recording_id,
                    runs: started.map((run) => ({ domain: run.domain, runId: run.run_id })),
                  },
                  started.length > 0
                    ? 'new meeting: companies refreshed'
                    : 'new meeting: no followed company in it',
                );
              },
            }),
          ]
        : []),
      bodyLimitRoute(yoga.graphqlEndpoint, config.maxBodyBytes, { clientAddressOf, logger }),
      createPollingRoutes(config.restBasePath, {
        services,
        auth,
        clientAddressOf,
        logger,
        tracing,
      }),
      createLivePageRoute(),
    ],
    yoga,
    logger,
  );
  const webSocket = attachGraphQLWebSocket(
    server,
    {
      yoga,
      trustedDocuments,
      auth,
      clientAddressOf,
      logger,
      unsentLimit,
      serialisedResults,
      tracing,
      sharedSubscriptions,
    },
    { ...config.webSocket, maxPayloadBytes: config.maxBodyBytes },
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    server,
    backend,
    keys,
    services,
    logger,
    processing,
    metrics,
    async listen() {
      await trustedDocuments.ready();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        runs.endAllWatches('The server is shutting down; subscribe again.');
        await webSocket.close();
        // SSE responses are open HTTP requests: end them so that server.close can finish.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
        // Runs drain while open requests end; the backend closes only after both.
        await processing.close();
        await stopped;
        await worker.close();
      })();
      return closing;
    },
  };
}
