import { z } from 'zod';
import { InvalidDomainError, normaliseDomain } from './domain.ts';
import { badUserInput } from './errors.ts';

/**
 * Argument schemas shared by every edge (GraphQL, REST). A value that fails becomes a
 * BAD_USER_INPUT error before anything is read or written.
 */

/** The type error of a parameter that must be a string, naming it. */
const stringParameter = (name: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `${name} is required` : `${name} must be a string`,
  });

export const domainInput = stringParameter('domain').transform((value, ctx) => {
  try {
    return normaliseDomain(value);
  } catch (error) {
    if (!(error instanceof InvalidDomainError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

/** A run id; errors name it as the caller's edge does, so they name what the user sent. */
const runIdParameter = (name: string) =>
  stringParameter(name)
    .trim()
    .toLowerCase()
    .pipe(z.uuid({ error: `${name} must be a UUID` }));

/** GraphQL's `runId` argument. */
export const runIdInput = runIdParameter('runId');
/** The REST routes' `run_id` parameter. */
export const restRunIdInput = runIdParameter('run_id');

export const listLimitInput = z
  .number({ error: 'limit must be a number' })
  .int('limit must be a whole number')
  .min(1, 'limit must be between 1 and 100')
  .max(100, 'limit must be between 1 and 100');

/** Parses `value`, or throws BAD_USER_INPUT with the schema's message. */
export function parseInput<T>(schema: z.ZodType<T, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badUserInput(result.error.issues[0]?.message ?? 'Invalid input');
}
