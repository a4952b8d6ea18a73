import { describe, expect, it } from 'vitest';
import { companyActionItems } from '../../src/pipeline/actionItems.ts';
import { fathomMeetingSchema } from '../../src/pipeline/fathom/fathomMeeting.ts';

const meeting = (id: number, start: string, items: unknown[]) =>
  fathomMeetingSchema.parse({
    recording_id: id,
    recording_start_time: start,
    recorded_by: { name: 'Sam Seller', email: 'sam@ourteam.io', email_domain: 'ourteam.io' },
    calendar_invitees: [
      {
        name: 'Pat Partner',
        email: 'pat@agency.io',
        email_domain: 'agency.io',
        is_external: false,
      },
      { name: 'Jane Doe', email: 'jane@acme.com', email_domain: 'acme.com', is_external: true },
      { name: 'Olu Other', email: 'olu@other.com', email_domain: 'other.com', is_external: true },
    ],
    action_items: items,
  });

const item = (description: string, email: string | null, extra: object = {}) => ({
  description,
  completed: false,
  recording_timestamp: '00:10:00',
  recording_playback_url: `https://fathom.test/calls/1?t=600&d=${encodeURIComponent(description)}`,
  assignee: email ? { name: `Name of ${email}`, email } : null,
  ...extra,
});

describe('action items of a company', () => {
  const items = companyActionItems('acme.com', [
    meeting(1, '2026-11-01T10:00:00Z', [
      item('Send pricing', 'SAM@ourteam.io'),
      item('Share the dock data', 'jane@acme.com', { completed: true }),
      item('Intro to partner', 'pat@agency.io', { recording_timestamp: '00:30:00' }),
    ]),
    meeting(2, '2026-11-20T10:00:00Z', [
      item('Ask legal', 'olu@other.com'),
      item('Book a follow-up', null, { recording_timestamp: null }),
      item('   ', 'jane@acme.com'),
    ]),
  ]);

  it('owns each item by the assignee email domain: recorder or internal invitee, company, else unknown', () => {
    const owners = Object.fromEntries(items.map((i) => [i.text, i.owner]));
    expect(owners).toEqual({
      'Send pricing': 'us',
      'Intro to partner': 'us',
      'Share the dock data': 'them',
      'Ask legal': 'unknown',
      'Book a follow-up': 'unknown',
    });
  });

  it('lists open items first, then newest first by meeting start plus recording time', () => {
    expect(items.map((i) => i.text)).toEqual([
      'Ask legal',
      'Book a follow-up',
      'Intro to partner',
      'Send pricing',
      'Share the dock data',
    ]);
  });

  it('carries every field, null when Fathom gives none', () => {
    expect(items.find((i) => i.text === 'Book a follow-up')).toEqual({
      text: 'Book a follow-up',
      meetingId: '2',
      assignee: null,
      assigneeEmail: null,
      owner: 'unknown',
      completed: false,
      timestamp: null,
      url: 'https://fathom.test/calls/1?t=600&d=Book%20a%20follow-up',
    });
    expect(items.find((i) => i.text === 'Send pricing')).toMatchObject({
      assignee: 'Name of SAM@ourteam.io',
      assigneeEmail: 'sam@ourteam.io',
      completed: false,
      timestamp: '00:10:00',
    });
  });
});
