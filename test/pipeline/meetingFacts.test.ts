import { describe, expect, it } from 'vitest';
import {
  type FathomMeeting,
  fathomMeetingSchema,
} from '../../src/pipeline/fathom/fathomMeeting.ts';
import { meetingFacts } from '../../src/pipeline/meetingFacts.ts';

function meeting(
  id: number,
  start: string,
  invitees: Array<[string | null, string | null, string | null]>,
): FathomMeeting {
  return fathomMeetingSchema.parse({
    title: `Meeting ${id}`,
    recording_id: id,
    url: `https://fathom.video/calls/${id}`,
    recording_start_time: start,
    calendar_invitees: invitees.map(([name, email, email_domain]) => ({
      name,
      email,
      email_domain,
      is_external: true,
    })),
  });
}

describe('meeting facts', () => {
  const listed = [
    meeting(1, '2025-09-01T10:00:00Z', [
      ['Jane Doe', 'jane@acme.com', 'acme.com'],
      ['Sam', 'sam@ourteam.io', 'ourteam.io'],
    ]),
    meeting(2, '2025-09-03T10:00:00Z', [
      [null, 'Jane@ACME.com', 'ACME.com'],
      ['Raj', 'raj@acme.com', null], // domain taken from the email
    ]),
    meeting(3, '2025-09-02T10:00:00Z', [['Lena', 'lena@eu.acme.com', 'eu.acme.com']]),
    meeting(4, '2025-09-04T10:00:00Z', [['Sam', 'sam@ourteam.io', 'ourteam.io']]),
    meeting(2, '2025-09-03T10:00:00Z', [['Raj', 'raj@acme.com', 'acme.com']]), // listed twice
  ];

  it('keeps only meetings where an invitee has exactly the domain, newest first, once each', () => {
    const facts = meetingFacts('acme.com', listed);
    expect(facts.refs.map((r) => r.id)).toEqual(['2', '1']);
    expect(facts.refs[0]).toEqual({
      id: '2',
      title: 'Meeting 2',
      started_at: '2025-09-03T10:00:00Z',
      url: 'https://fathom.video/calls/2',
    });
  });

  it('lists the company people once by email, with a name when any meeting has one', () => {
    expect(meetingFacts('acme.com', listed).people).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', meetings_count: 2 },
      { name: 'Raj', email: 'raj@acme.com', meetings_count: 1 },
    ]);
  });

  it('treats a subdomain as its own company, as Fathom does', () => {
    expect(meetingFacts('eu.acme.com', listed).refs.map((r) => r.id)).toEqual(['3']);
    expect(meetingFacts('ourteam.io', listed).refs.map((r) => r.id)).toEqual(['4', '1']);
  });
});
