/**
 * The import rules of the layout (README, "Architecture"), checked by `npm run lint`.
 * Lower layers never import higher ones:
 *   model <- kv, pubsub <- runs <- pipeline, resolvers <- schema <- http, web <- app
 * and the code that ships (src) never imports the code that tests or measures it.
 */

/** src modules that compose the parts: nothing inside the layers imports them. */
const COMPOSITION_ROOTS = '^src/(app|main|worker|createWorker|runProcessing|backends)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A module must not import itself back through others: no cycles in src.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'model-imports-nothing-of-ours',
      comment: 'The run model is the bottom layer: every other folder depends on it, never back.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'kv-stays-below-the-run-service',
      comment: 'The store knows the model and the event bus it publishes on, nothing above.',
      severity: 'error',
      from: { path: '^src/kv/' },
      to: {
        path: [
          '^src/(runs|pipeline|http|schema|resolvers|web)/',
          COMPOSITION_ROOTS,
          '^src/context[.]ts$',
        ],
      },
    },
    {
      name: 'pubsub-stays-below-the-run-service',
      comment: 'Run notifications carry model records; they know nothing of who sends them.',
      severity: 'error',
      from: { path: '^src/pubsub/' },
      to: {
        path: [
          '^src/(kv|runs|pipeline|http|schema|resolvers|web)/',
          COMPOSITION_ROOTS,
          '^src/context[.]ts$',
        ],
      },
    },
    {
      name: 'runs-does-not-import-pipeline',
      comment: 'runs owns the RunQueue interface; pipeline implements it, not the reverse.',
      severity: 'error',
      from: { path: '^src/runs/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'runs-stays-below-the-api',
      comment: 'The run service is called by the API layers and never calls them.',
      severity: 'error',
      from: { path: '^src/runs/' },
      to: { path: ['^src/(http|schema|resolvers|web)/', COMPOSITION_ROOTS] },
    },
    {
      name: 'pipeline-stays-below-the-api',
      comment: 'Run execution is started by queues, not by the API layers it sits under.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: ['^src/(http|schema|resolvers|web)/', COMPOSITION_ROOTS] },
    },
    {
      name: 'resolvers-do-not-import-schema',
      comment: 'Resolvers are plain functions; the schema wires them into fields (one direction).',
      severity: 'error',
      from: { path: '^src/resolvers/' },
      to: { path: '^src/schema/' },
    },
    {
      name: 'api-goes-through-the-run-service',
      comment:
        'schema and resolvers call the run service from the context, not the store or pipeline.',
      severity: 'error',
      from: { path: '^src/(schema|resolvers)/' },
      to: { path: ['^src/(kv|pipeline|pubsub|http|web)/', COMPOSITION_ROOTS] },
    },
    {
      name: 'http-is-an-edge',
      comment:
        'Only the composition root and the live page route (a route of the server) import http.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/web/', '^src/(app|main)[.]ts$'] },
      to: { path: '^src/http/' },
    },
    {
      name: 'live-page-client-uses-only-generated-documents',
      comment: 'The browser bundle may only use the typed documents, not server modules.',
      severity: 'error',
      from: { path: '^src/web/client/' },
      to: { path: '^src/', pathNot: ['^src/web/client/', '^src/generated/'] },
    },
    {
      name: 'src-does-not-import-tests-or-tools',
      comment: 'What ships never depends on what tests, measures, shows or builds it.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|examples|scripts|support)/' },
    },
    {
      name: 'support-serves-both-suites',
      comment: 'support/ is shared by test/ and bench/, so it imports neither.',
      severity: 'error',
      from: { path: '^support/' },
      to: { path: '^(test|bench|examples|scripts)/' },
    },
    {
      name: 'bench-does-not-import-test',
      comment: 'What both need lives in support/, so either can change alone.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'test-does-not-import-bench',
      comment: 'Tests do not depend on the performance harness.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
    {
      name: 'examples-do-not-import-test-or-bench',
      comment: 'The examples show how a client uses the service, with nothing of the suites.',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(test|bench)/' },
    },
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
