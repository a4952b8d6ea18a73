import { GraphQLError } from 'graphql';

/**
 * Errors that reach a user carry one of these codes. This module is the one place that maps
 * them to GraphQL `extensions.code` and HTTP statuses; anything else is an internal error
 * whose message is never shown.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'RATE_LIMITED'
  /** The server cannot go on serving this (it is shutting down): try again, elsewhere. */
  | 'UNAVAILABLE'
  /** GRAPHQL_TRUSTED_DOCUMENTS is on and the request sent a document's text. */
  | 'PERSISTED_QUERY_ONLY'
  /** The request named a document by a hash the service does not know. */
  | 'PERSISTED_QUERY_NOT_FOUND';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  PERSISTED_QUERY_ONLY: 400,
  PERSISTED_QUERY_NOT_FOUND: 404,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(HTTP_STATUS, value);
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const badUserInput = (message: string) => new AppError('BAD_USER_INPUT', message);
export const notFound = (message: string) => new AppError('NOT_FOUND', message);
export const unauthenticated = (message = 'A valid bearer token is required.') =>
  new AppError('UNAUTHENTICATED', message);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', message, retryAfterSeconds);

export const unavailable = (message: string) => new AppError('UNAVAILABLE', message);

/**
 * The GraphQL form of an AppError. Only UNAUTHENTICATED changes the HTTP status (401): the
 * other codes travel in a normal 200 GraphQL response, as GraphQL clients expect.
 */
export function toGraphQLError(error: AppError): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.code === 'UNAUTHENTICATED') {
    extensions.http = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } };
  }
  if (error.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = error.retryAfterSeconds;
  return new GraphQLError(error.message, { extensions });
}
