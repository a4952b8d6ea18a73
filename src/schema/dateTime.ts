import { Kind } from 'graphql';
import { badUserInput, toGraphQLError } from '../errors.ts';
import { builder } from './builder.ts';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseIso(value: unknown): string {
  if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw toGraphQLError(badUserInput('DateTime must be an ISO 8601 date-time string'));
  }
  return value;
}

export const DateTime = builder.scalarType('DateTime', {
  description: 'ISO 8601 string',
  serialize: (value) => (value instanceof Date ? value.toISOString() : value),
  parseValue: parseIso,
  parseLiteral: (ast) => parseIso(ast.kind === Kind.STRING ? ast.value : undefined),
});
