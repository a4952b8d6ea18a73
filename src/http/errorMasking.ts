import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import { AppError, toGraphQLError } from '../errors.ts';

/** What a client reads in place of an internal error's message. */
export const MASKED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * Yoga's error mask with our codes: an AppError anywhere in the chain becomes its
 * client-facing GraphQL error (keeping the path); everything else is masked by Yoga as an
 * internal error, so no internal message (which could carry an upstream detail) leaks.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const appError = findAppError(error);
  if (appError) {
    const located = error instanceof GraphQLError ? error : undefined;
    const mapped = toGraphQLError(appError);
    return new GraphQLError(mapped.message, {
      nodes: located?.nodes,
      path: located?.path,
      extensions: mapped.extensions,
    });
  }
  return yogaMaskError(error, message, isDev);
}

/** The AppError behind a (possibly wrapped) error, if any. */
export function findAppError(error: unknown): AppError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof AppError) return current;
    const wrapper = current as { originalError?: unknown; cause?: unknown };
    current = wrapper.originalError ?? wrapper.cause;
  }
  return undefined;
}
