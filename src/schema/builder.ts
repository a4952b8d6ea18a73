import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from '../context.ts';

/** The one schema builder; every type file in this folder registers on it. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: string; Output: string | Date };
  };
}>({
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
