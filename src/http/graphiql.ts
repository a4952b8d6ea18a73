import type { GraphiQLOptions } from 'graphql-yoga';
import { CSRF_PREVENTION_HEADER } from './plugins/useHardening.ts';

/**
 * GraphiQL at `/graphql` in a browser. It opens on the service's own operations, with
 * comments saying how to run them, rather than on Yoga's welcome text.
 *
 * GraphiQL sends subscriptions as Server-Sent Events over a GET, which CSRF prevention
 * refuses unless it carries the CSRF header: GraphiQL adds it to every request it makes.
 * A script on this origin may set it; a cross-site form or link cannot, so CSRF prevention
 * still refuses those. SSE (not WebSocket) also carries the headers typed into GraphiQL's
 * Headers editor, so an `Authorization` header there works for subscriptions too.
 */
export const GRAPHIQL_EXAMPLE_OPERATIONS = `# Engagement Summary: what a company said across
# your team's recorded meetings.
#
# 1. Put the cursor inside "Start" and press
#    Ctrl-Enter (or press the run button and pick
#    "Start"). It answers at once with a runId.
# 2. Open the Variables pane below, enter
#      { "runId": "<the runId Start returned>" }
#    and run "Watch": each state of the run shows in
#    the result pane as it is written, until COMPLETE
#    or ERROR. "domain" defaults to the one below.
# 3. "Status" polls the run once. It answers a list:
#    [] when there is no such run, else [run].
#
# Any company website works as a domain
# (https://www.acme.com/about means acme.com).
# When the server requires a token, open the Headers
# pane below and enter:
#   { "Authorization": "Bearer <token>" }

mutation Start {
  startEngagementSummary(domain: "https://www.northwind-logistics.com") {
    ok
    domain
    runId
    status
  }
}

subscription Watch($domain: String! = "northwind-logistics.com", $runId: ID!) {
  engagementUpdated(domain: $domain, runId: $runId) {
    version
    status
    error
    progress {
      stage
      meetingsFound
    }
    summary {
      meetingsCount
      people {
        name
        email
        meetingsCount
      }
      goals {
        text
        meetingIds
      }
      challenges {
        text
        meetingIds
      }
    }
  }
}

query Status($domain: String! = "northwind-logistics.com", $runId: ID!) {
  engagementStatus(domain: $domain, runId: $runId) {
    status
    version
    progress {
      stage
      meetingsFound
    }
  }
}
`;

export function graphiqlOptions(): GraphiQLOptions {
  return {
    title: 'Engagement Summary',
    defaultQuery: GRAPHIQL_EXAMPLE_OPERATIONS,
    additionalHeaders: { [CSRF_PREVENTION_HEADER]: 'graphiql' },
  };
}
