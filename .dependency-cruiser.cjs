/**
 * The import rules of the layout (README, "Architecture"), checked by `npm run lint`.
 * Lower layers never import higher ones: model at the bottom; kv and pubsub; runs; pipeline
 * (which implements runs' RunQueue) and the API, resolvers below schema; http and web at the
 * edge; app.ts composing them. The code that ships (src) never imports the code that tests
 * or measures it.
 */

/** src modules that compose the parts: nothing inside the layers imports them. */
const COMPOSITION_ROOTS = '^src/(app|main|worker|createWorker|runProcessing|backends)[.]ts$';

/** What the store and the event bus sit below: the run service and everything above it. */
const ABOVE_THE_STORE = [
  '^src/(runs|pipeline|http|schema|resolvers|web)/',
  COMPOSITION_ROOTS,
  '^src/context[.]ts$',
];

/** A forbidden import: from modules matching `from` to modules matching `to`. */
function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from, to };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid(
      'no-circular',
      'A module must not import itself back through others: no cycles in src.',
      { path: '^src/' },
      { circular: true },
    ),
    forbid(
      'model-imports-nothing-of-ours',
      'The run model is the bottom layer: every other folder depends on it, never back.',
      { path: '^src/model/' },
      { path: '^src/', pathNot: '^src/model/' },
    ),
    forbid(
      'kv-stays-below-the-run-service',
      'The store knows the model and the event bus it publishes on, nothing above.',
      { path: '^src/kv/' },
      { path: ABOVE_THE_STORE },
    ),
    forbid(
      'pubsub-stays-below-the-run-service',
      'Run notifications carry model records; they know nothing of who sends them.',
      { path: '^src/pubsub/' },
      { path: ['^src/kv/', ...ABOVE_THE_STORE] },
    ),
    forbid(
      'runs-does-not-import-pipeline',
      'runs owns the RunQueue interface; pipeline implements it, not the reverse.',
      { path: '^src/runs/' },
      { path: '^src/pipeline/' },
    ),
    forbid(
      'runs-stays-below-the-api',
      'The run service is called by the API layers and never calls them.',
      { path: '^src/runs/' },
      { path: ['^src/(http|schema|resolvers|web)/', COMPOSITION_ROOTS] },
    ),
    forbid(
      'pipeline-stays-below-the-api',
      'Run execution is started by queues, not by the API layers it sits under.',
      { path: '^src/pipeline/' },
      { path: ['^src/(http|schema|resolvers|web)/', COMPOSITION_ROOTS] },
    ),
    forbid(
      'resolvers-do-not-import-schema',
      'Resolvers are plain functions; the schema wires them into fields (one direction).',
      { path: '^src/resolvers/' },
      { path: '^src/schema/' },
    ),
    forbid(
      'api-goes-through-the-run-service',
      'schema and resolvers call the run service from the context, not the store or pipeline.',
      { path: '^src/(schema|resolvers)/' },
      { path: ['^src/(kv|pipeline|pubsub|http|web)/', COMPOSITION_ROOTS] },
    ),
    forbid(
      'http-is-an-edge',
      'Only the composition root and the live page route (a route of the server) import http.',
      { path: '^src/', pathNot: ['^src/http/', '^src/web/', '^src/(app|main)[.]ts$'] },
      { path: '^src/http/' },
    ),
    forbid(
      'live-page-client-uses-only-generated-documents',
      'The browser bundle may only use the typed documents, not server modules.',
      { path: '^src/web/client/' },
      { path: '^src/', pathNot: ['^src/web/client/', '^src/generated/'] },
    ),
    forbid(
      'tracing-imports-nothing-of-ours',
      'The tracing interface is called from every layer, so it depends on none of them.',
      { path: '^src/tracing/' },
      { path: '^src/', pathNot: ['^src/tracing/', '^src/config[.]ts$'] },
    ),
    {
      name: 'opentelemetry-module-loaded-on-demand',
      comment: 'Imported by main.ts and worker.ts with import(), when tracing is configured.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|worker)[.]ts$' },
      to: { path: '^src/tracing/openTelemetryTracing[.]ts$' },
    },
    {
      name: 'opentelemetry-module-not-imported-statically',
      comment: 'A static import would load OpenTelemetry even when tracing is off.',
      severity: 'error',
      from: { path: '^src/(main|worker)[.]ts$' },
      to: {
        path: '^src/tracing/openTelemetryTracing[.]ts$',
        dependencyTypesNot: ['dynamic-import'],
      },
    },
    forbid(
      'src-does-not-import-tests-or-tools',
      'What ships never depends on what tests, measures, shows or builds it.',
      { path: '^src/' },
      { path: '^(test|bench|eval|examples|scripts|support)/' },
    ),
    forbid(
      'support-serves-both-suites',
      'support/ is shared by test/ and bench/, so it imports neither.',
      { path: '^support/' },
      { path: '^(test|bench|examples|scripts)/' },
    ),
    forbid(
      'eval-does-not-import-the-suites',
      'The evaluation runs the summarisers as they ship, with nothing of the tests or bench.',
      { path: '^eval/' },
      { path: '^(test|bench)/' },
    ),
    forbid(
      'bench-does-not-import-test',
      'What both need lives in support/, so either can change alone.',
      { path: '^bench/' },
      { path: '^test/' },
    ),
    forbid(
      'test-does-not-import-bench',
      'Tests do not depend on the performance harness.',
      { path: '^test/' },
      { path: '^bench/' },
    ),
    forbid(
      'examples-do-not-import-test-or-bench',
      'The examples show how a client uses the service, with nothing of the suites.',
      { path: '^examples/' },
      { path: '^(test|bench)/' },
    ),
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a broken import (or a missing package).',
      severity: 'error',
      from: {},
      // A package of types alone (no JavaScript): only the type checker resolves it.
      to: { couldNotResolve: true, pathNot: '^@graphql-typed-document-node/core$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
    },
    exclude: { path: '^(node_modules|dist|src/generated)/' },
  },
};
