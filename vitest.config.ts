import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build for the service and for graphql-yoga;
    // tests must load that same copy, or GraphQLError instances stop matching.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The suites start servers and Redis connections; two workers fit the 2-core machines.
    maxWorkers: 2,
    env: { LOG_LEVEL: 'silent' },
  },
});
