import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';

/** The shape limits of a GraphQL document (graphql-armor), besides the configured depth. */
export const GRAPHQL_LIMITS = {
  maxAliases: 15,
  maxCost: 5000,
  maxTokens: 1500,
  maxDirectives: 50,
} as const;

/** The header CSRF prevention asks for; our own scripts (GraphiQL) send it. */
export const CSRF_PREVENTION_HEADER = 'x-graphql-yoga-csrf';

/**
 * Limits that keep one client from hurting the service: query shape limits (graphql-armor:
 * depth, aliases, cost, tokens, directives) and CSRF prevention for browser requests. The
 * bound on request bodies is a route (`routes/bodyLimitRoute.ts`), since it acts before
 * Yoga reads the body.
 */
export function useHardening(options: { maxDepth: number }): Plugin {
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: options.maxDepth, ignoreIntrospection: true },
      maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
      costLimit: { maxCost: GRAPHQL_LIMITS.maxCost },
      maxTokens: { n: GRAPHQL_LIMITS.maxTokens },
      maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives },
    }) as Plugin,
    // A browser can send a "simple" cross-site request (a GET, or a form POST) without a
    // preflight; GraphQL over such requests needs this header, which only scripts can add.
    useCSRFPrevention({
      requestHeaders: [
        CSRF_PREVENTION_HEADER,
        'apollo-require-preflight',
        'x-apollo-operation-name',
      ],
    }) as Plugin,
  ];
  return {
    onPluginInit({ addPlugin }) {
      for (const plugin of plugins) addPlugin(plugin);
    },
  };
}
