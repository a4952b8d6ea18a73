// Starts an engagement summary run and prints its live states with Apollo Client 4 and
// nothing but its HttpLink: the mutation is a POST, and the subscription too, answered as
// multipart HTTP (Apollo's multipart subscription protocol, which HttpLink asks for by
// itself). No WebSocket and no package beyond Apollo Client; its persisted-query link only
// names each operation by hash, so the script also works with GRAPHQL_TRUSTED_DOCUMENTS=true.
// Exit code 0 when the run completed, 1 when it ended in ERROR or anything failed.
//
//   [ENGAGEMENT_TOKEN=…] npx tsx examples/apolloHttpClient.ts <website> [serverUrl]
//   (serverUrl defaults to http://127.0.0.1:4000; the token is needed when the server has auth on)
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { documentIdOf } from '../src/generated/graphql.ts';
import { watchOneRun } from './apolloRun.ts';
import { exampleArguments } from './runOutput.ts';

const { website, httpUrl, auth } = exampleArguments('apolloHttpClient.ts');

// The token goes in the Authorization header of every request, the subscription's included.
// The persisted-query link puts each document's hash (generated beside it by codegen, the key
// of persisted-documents.json) in `extensions`; HttpLink then leaves the text out.
const link = createPersistedQueryLink({ generateHash: documentIdOf }).concat(
  new HttpLink({ uri: httpUrl, headers: auth }),
);

await watchOneRun(new ApolloClient({ link, cache: new InMemoryCache() }), website);
