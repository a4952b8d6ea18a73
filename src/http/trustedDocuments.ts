import { AppError } from '../errors.ts';

/** `persisted-documents.json`: the sha256 hex of each document, to its text. */
export type PersistedDocumentManifest = Readonly<Record<string, string>>;

/** What an operation request says about its document, on any transport. */
export interface DocumentRequest {
  query?: string | null;
  /** The GraphQL-over-HTTP name for a persisted document's id. */
  documentId?: unknown;
  /** Apollo's form: `{ persistedQuery: { version: 1, sha256Hash } }`. */
  extensions?: Readonly<Record<string, unknown>> | null;
}

export interface TrustedDocumentsOptions {
  /** GRAPHQL_TRUSTED_DOCUMENTS: only the manifest's documents run. */
  enforce: boolean;
  /** Reads the manifest; called once, by `ready()` when enforcing, else on the first hash. */
  load?: () => Promise<PersistedDocumentManifest>;
}

/** The manifest `npm run codegen` writes at the project root (bundled as a chunk of its own). */
const loadCommittedManifest = async (): Promise<PersistedDocumentManifest> =>
  (await import('../../persisted-documents.json', { with: { type: 'json' } })).default;

/**
 * The trusted documents (`persisted-documents.json`) and the one rule every transport applies
 * to an operation request: a request names its document either by its text or by its hash
 * (`documentId`, or `extensions.persistedQuery.sha256Hash`), and a hash is looked up in the
 * manifest. With `enforce` (GRAPHQL_TRUSTED_DOCUMENTS=true) a request that sends text is
 * refused (PERSISTED_QUERY_ONLY), so only the manifest's documents run; without it both
 * forms are accepted. An unknown hash is PERSISTED_QUERY_NOT_FOUND either way.
 *
 * Used by the Yoga plugin for everything over HTTP (POST, GET, SSE, multipart: they all pass
 * Yoga's params stage) and by the WebSocket server, which runs operations through envelop
 * and has no params stage. Without `enforce` the manifest is read only once a request sends
 * a hash, so a server whose clients send text holds none of it.
 */
export class TrustedDocuments {
  readonly enforce: boolean;
  private readonly load: () => Promise<PersistedDocumentManifest>;
  private documents: ReadonlyMap<string, string> | null = null;
  private loading: Promise<ReadonlyMap<string, string>> | null = null;

  constructor(options: TrustedDocumentsOptions) {
    this.enforce = options.enforce;
    this.load = options.load ?? loadCommittedManifest;
  }

  /**
   * Enforcing, every request needs the manifest: the server reads it before it listens, so a
   * broken one stops the start. Otherwise nothing is read until a request sends a hash.
   */
  async ready(): Promise<void> {
    if (this.enforce) await this.loaded();
  }

  /**
   * The text of the document the request runs. Undefined when it names none (no text, no
   * hash), which the transport answers as it always has. Throws (or rejects with) an
   * AppError when the request is refused. Synchronous when nothing needs reading, so a
   * request that sends text with `enforce` off costs nothing here.
   */
  documentOf(request: DocumentRequest): string | undefined | Promise<string> {
    if (request.query) {
      if (this.enforce) {
        throw new AppError(
          'PERSISTED_QUERY_ONLY',
          'This server runs only its trusted documents: send the document by its hash (documentId or extensions.persistedQuery.sha256Hash), not its text.',
        );
      }
      return request.query;
    }
    const id = requestedDocumentId(request);
    if (id === undefined) return undefined;
    if (this.documents) return this.lookUp(this.documents, id);
    return this.loaded().then((documents) => this.lookUp(documents, id));
  }

  private lookUp(documents: ReadonlyMap<string, string>, id: string): string {
    const text = documents.get(id);
    if (text === undefined) {
      throw new AppError(
        'PERSISTED_QUERY_NOT_FOUND',
        'No trusted document has this hash: regenerate the client from the server’s documents.',
      );
    }
    return text;
  }

  private loaded(): Promise<ReadonlyMap<string, string>> {
    this.loading ??= this.load().then((manifest) => {
      this.documents = new Map(Object.entries(manifest));
      return this.documents;
    });
    return this.loading;
  }
}

/** The hash a request names its document by: `documentId`, else Apollo's persisted query. */
function requestedDocumentId(request: DocumentRequest): string | undefined {
  if (typeof request.documentId === 'string' && request.documentId !== '') {
    return request.documentId;
  }
  const persistedQuery = request.extensions?.persistedQuery;
  if (typeof persistedQuery === 'object' && persistedQuery !== null) {
    const hash = (persistedQuery as { sha256Hash?: unknown }).sha256Hash;
    if (typeof hash === 'string' && hash !== '') return hash;
  }
  return undefined;
}
