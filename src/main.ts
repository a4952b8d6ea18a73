import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
// OpenTelemetry is loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: unset, none of it
// is in memory.
const tracing = config.tracing
  ? await (await import('./tracing/openTelemetryTracing.ts')).startOpenTelemetry(
      config.tracing,
      logger,
    )
  : undefined;
const app = createApp(config, { logger, tracing });
const url = await app.listen();
app.logger.info(
  {
    url,
    graphql: `${url}/graphql`,
    backend: app.backend.kind,
    tracing: config.tracing ? { protocol: config.tracing.protocol } : undefined,
  },
  `engagement-summary listening on ${url}`,
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.logger.info({ signal }, 'shutting down');
    app
      .close()
      // The spans of the last requests and runs leave before the process does.
      .then(() => tracing?.tracing.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          app.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}
