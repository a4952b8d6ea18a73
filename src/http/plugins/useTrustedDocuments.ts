import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { type ClientAddressOf, UNKNOWN_ADDRESS } from '../clientAddress.ts';
import { logRefusal } from '../refusalLog.ts';
import { askedStreamedForm } from '../streamingAccept.ts';
import type { TrustedDocuments } from '../trustedDocuments.ts';
import type { ServerContext } from '../yoga.ts';

/**
 * Trusted documents over HTTP: every request Yoga parses (POST, GET, SSE, multipart) names
 * its document by text or by hash, and `TrustedDocuments` decides which text runs, the same
 * rule the WebSocket server applies. A refusal answers the request with its code (HTTP 200,
 * as GraphQL clients expect, like the service's other refusals) and is logged like them.
 *
 * Not `@graphql-yoga/plugin-persisted-operations`: its rule lives in its `onParams` hook,
 * which only Yoga's HTTP handler calls, so our WebSocket server (envelop, no params stage)
 * would need a second copy of it; it reads no `documentId`, and both of its error codes
 * differ from the contract's. The rule is a few lines in `TrustedDocuments`, shared.
 */
export function useTrustedDocuments(
  documents: TrustedDocuments,
  refusals: { logger: Logger; clientAddressOf: ClientAddressOf },
): Plugin {
  return {
    onParams({ params, request, setParams, context }) {
      const { documentId, ...rest } = params as typeof params & { documentId?: unknown };
      // A document sent as text where text is allowed: nothing to look up or change.
      if (params.query && documentId === undefined && !documents.enforce) return;
      const refused = (error: unknown): never => {
        if (error instanceof AppError) {
          // Yoga's plugins are typed without the server context; node:http hands it this one.
          const { req } = context as ServerContext;
          const address = req ? refusals.clientAddressOf(req) : UNKNOWN_ADDRESS;
          const transport = askedStreamedForm(request.headers.get('accept')) ?? 'http';
          logRefusal(refusals.logger, error, address, transport);
        }
        throw error;
      };
      // Yoga refuses a parameter it does not know, so `documentId` leaves with the lookup.
      const use = (query: string | undefined) => setParams({ ...rest, query });
      let query: ReturnType<TrustedDocuments['documentOf']>;
      try {
        query = documents.documentOf({
          ...rest,
          // Yoga's GET parser keeps only query, variables, operationName and extensions.
          documentId: documentId ?? (params.query ? undefined : documentIdInUrl(request)),
        });
      } catch (error) {
        return refused(error);
      }
      if (typeof query === 'object') return query.then(use, refused);
      use(query);
    },
  };
}

function documentIdInUrl(request: Request): string | undefined {
  if (request.method !== 'GET') return undefined;
  return new URL(request.url).searchParams.get('documentId') ?? undefined;
}
