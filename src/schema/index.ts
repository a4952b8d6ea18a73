import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './dateTime.ts';
import './engagementRun.ts';
import './queries.ts';
import './mutations.ts';
import './subscriptions.ts';

let schema: GraphQLSchema | undefined;

/** The executable schema; built once, since the builder's types are module-level. */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
