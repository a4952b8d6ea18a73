/**
 * Child entry: the baseline of the throughput benchmark, a bare graphql-yoga `{ hello }`
 * server on node:http with Yoga's defaults, as small as a Yoga server gets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { serveCalls } from './processes.ts';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  }),
  logging: false,
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveCalls({}, { url: `http://127.0.0.1:${port}` });
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
