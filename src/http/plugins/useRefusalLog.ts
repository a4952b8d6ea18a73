import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../../context.ts';
import { type ErrorCode, isErrorCode } from '../../errors.ts';
import { findAppError } from '../errorMasking.ts';
import { logRefusal } from '../refusalLog.ts';

/**
 * Logs each refusal in a GraphQL result (a query's, a mutation's, a subscription's first
 * answer and each of its events), with the address of the operation's principal. Over
 * WebSocket this covers every operation that runs through Yoga's envelop, which includes
 * each watch that fails to start.
 */
export function useRefusalLog(logger: Logger): Plugin<GraphQLContext> {
  const logResult = (result: ExecutionResult, context: GraphQLContext) => {
    for (const error of result.errors ?? []) {
      const refusal = refusalOf(error);
      if (refusal) logRefusal(logger, refusal, context.principal.clientAddress, context.transport);
    }
  };
  // The same for an operation's one result and for each event of a stream.
  const logResults =
    (context: GraphQLContext) =>
    ({ result }: { result: ExecutionResult | AsyncIterable<ExecutionResult> }) => {
      if (!isAsyncIterable(result)) return logResult(result, context);
      return {
        onNext: ({ result: next }: { result: ExecutionResult }) => logResult(next, context),
      };
    };
  return {
    onExecute: ({ args }) => ({ onExecuteDone: logResults(args.contextValue) }),
    onSubscribe: ({ args }) => ({ onSubscribeResult: logResults(args.contextValue) }),
  };
}

/** The refusal in a result's error, whether Yoga has masked it into its client form yet or not. */
function refusalOf(error: unknown): { code: ErrorCode; message: string } | undefined {
  const appError = findAppError(error);
  if (appError) return appError;
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  if (isErrorCode(code)) return { code, message: (error as Error).message };
  return undefined;
}
