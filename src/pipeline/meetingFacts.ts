import { InvalidDomainError, normaliseDomain } from '../domain.ts';
import type { MeetingRefRecord, PersonRecord } from '../model/runRecord.ts';
import type { FathomMeeting } from './fathom/fathomMeeting.ts';

/**
 * The facts of a summary, computed from meeting data and never from the LLM: which meetings
 * the company took part in, and who of the company was there.
 */
export interface MeetingFacts {
  /** The meetings in which an invitee's email domain is the company's, newest first. */
  meetings: FathomMeeting[];
  refs: MeetingRefRecord[];
  people: PersonRecord[];
}

/** An invitee belongs to the company when their email domain is exactly the domain. */
export function inviteeDomain(invitee: { email?: string | null; email_domain?: string | null }) {
  const fromEmail = invitee.email?.includes('@') ? invitee.email.split('@').pop() : undefined;
  return (invitee.email_domain ?? fromEmail ?? '').trim().toLowerCase().replace(/\.$/, '');
}

export function meetingFacts(domain: string, listed: FathomMeeting[]): MeetingFacts {
  const byId = new Map<string, FathomMeeting>();
  for (const meeting of listed) {
    if (meeting.calendar_invitees.some((invitee) => inviteeDomain(invitee) === domain)) {
      // One meeting listed twice counts once.
      if (!byId.has(meeting.recording_id)) byId.set(meeting.recording_id, meeting);
    }
  }
  const meetings = [...byId.values()].sort(
    (a, b) => timeOf(b) - timeOf(a) || a.recording_id.localeCompare(b.recording_id),
  );

  const people = new Map<string, PersonRecord>();
  for (const meeting of meetings) {
    const seenHere = new Set<string>();
    for (const invitee of meeting.calendar_invitees) {
      const email = invitee.email?.trim().toLowerCase();
      if (!email || inviteeDomain(invitee) !== domain || seenHere.has(email)) continue;
      seenHere.add(email);
      const person = people.get(email) ?? { name: null, email, meetings_count: 0 };
      person.name ??= invitee.name?.trim() || null;
      person.meetings_count += 1;
      people.set(email, person);
    }
  }

  return {
    meetings,
    refs: meetings.map(toRef),
    people: [...people.values()].sort(
      (a, b) => b.meetings_count - a.meetings_count || a.email.localeCompare(b.email),
    ),
  };
}

/**
 * The companies a meeting was held with: the domains of its invitees Fathom marks external,
 * normalised as a user's input is; an address that is no company domain is left out.
 */
export function externalCompanyDomains(meeting: FathomMeeting): string[] {
  const domains = new Set<string>();
  for (const invitee of meeting.calendar_invitees) {
    if (invitee.is_external !== true) continue;
    const own = inviteeDomain(invitee);
    if (own === '') continue;
    try {
      domains.add(normaliseDomain(own));
    } catch (error) {
      if (!(error instanceof InvalidDomainError)) throw error;
      // e.g. an invitee at a local host name: no company to refresh
    }
  }
  return [...domains];
}

export function startedAt(meeting: FathomMeeting): string | null {
  return meeting.recording_start_time ?? meeting.scheduled_start_time ?? meeting.created_at ?? null;
}

function timeOf(meeting: FathomMeeting): number {
  const at = startedAt(meeting);
  return at ? Date.parse(at) || 0 : 0;
}

function toRef(meeting: FathomMeeting): MeetingRefRecord {
  return {
    id: meeting.recording_id,
    title: meeting.title?.trim() || meeting.meeting_title?.trim() || 'Untitled meeting',
    started_at: startedAt(meeting),
    url: meeting.url ?? meeting.share_url ?? null,
  };
}
