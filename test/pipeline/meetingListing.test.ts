import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/model/runRecord.ts';
import type { FathomMeeting } from '../../support/fakes/fakeFathom.ts';
import { buildMeetings, withInvitee } from '../../support/fakes/fathomFixtures.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { startServiceOnFakes } from '../support/serviceOnFakes.ts';

const ACME = { domain: 'acme.com', people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] };
const GLOBEX = {
  domain: 'globex.com',
  people: [{ name: 'Hank Scorpio', email: 'hank@globex.com' }],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const last = (states: RunRecord[]) => states[states.length - 1] as RunRecord;

describe('a call with two external companies, which Fathom lists under one of them', () => {
  it('is found by the emails of the company people met in its other meetings', async () => {
    const meetings = buildMeetings({ companies: [ACME, GLOBEX], meetingsPerCompany: 3 });
    // A Globex call to which Jane of Acme was invited too: Fathom associates it with Globex.
    const globexCall = meetings.find((m) => m.calendar_invitees[0]?.email_domain === 'globex.com');
    const shared = withInvitee(globexCall as FathomMeeting, {
      name: 'Jane Doe',
      email: 'jane@acme.com',
      email_domain: 'acme.com',
      is_external: true,
    });
    meetings.splice(meetings.indexOf(globexCall as FathomMeeting), 1, shared);
    const sharedId = String(shared.recording_id);

    const { server, fathom, openai } = await startServiceOnFakes(
      'memory',
      meetings,
      cleanups,
      undefined,
      {
        pageSize: 2,
        oneCompanyPerMeeting: true,
      },
    );

    const acme = last(await runToEnd(server.app, 'acme.com'));
    expect(acme.status).toBe('complete');
    expect(acme.summary?.meetings_count).toBe(4);
    expect(acme.summary?.meetings.map((m) => m.id)).toContain(sharedId);
    expect(acme.summary?.people).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', meetings_count: 4 },
    ]);
    // The domain listing did not have it: it came from the listing by Jane's email, and its
    // transcript was asked for alone, then read by the LLM.
    const listings = fathom.requests.filter((r) => r.path.endsWith('/meetings'));
    expect(listings.filter((r) => r.query.has('calendar_invitees_domains[]'))).toHaveLength(2);
    expect(
      listings
        .filter((r) => r.query.has('calendar_invitees[]'))
        .map((r) => r.query.getAll('calendar_invitees[]')),
    ).toEqual([['jane@acme.com'], ['jane@acme.com']]);
    expect(
      fathom.requests.filter((r) => r.path.endsWith('/transcript')).map((r) => r.path),
    ).toEqual([`/external/v1/recordings/${sharedId}/transcript`]);
    const sent = openai.requests.flatMap((r) => r.body.messages.map((m) => m.content)).join('\n');
    expect(sent).toContain(`Meeting ${sharedId}: `);

    // Globex, with whom Fathom associates the call, has it from its domain listing.
    const globex = last(await runToEnd(server.app, 'globex.com'));
    expect(globex.summary?.meetings.map((m) => m.id)).toContain(sharedId);
  });
});
