import type { FathomMeeting } from './fathom/fathomMeeting.ts';
import { inviteeDomain, startedAt } from './meetingFacts.ts';

export type ActionOwner = 'us' | 'them' | 'unknown';

/** One of Fathom's action items, with who owns it (the contract's `ActionItem`). */
export interface CompanyActionItem {
  text: string;
  meetingId: string;
  assignee: string | null;
  assigneeEmail: string | null;
  owner: ActionOwner;
  completed: boolean;
  /** "HH:MM:SS" into the recording. */
  timestamp: string | null;
  /** Fathom's playback link to that moment. */
  url: string | null;
}

/**
 * The action items of a company's meetings, open ones first, then newest first (the
 * meeting's start plus the item's moment in the recording). An item is ours (US) when its
 * assignee's email domain is the recorder's or that of an invitee Fathom marks internal,
 * theirs (THEM) when it is the company's domain, and UNKNOWN otherwise: never guessed from
 * a name.
 */
export function companyActionItems(
  domain: string,
  meetings: readonly FathomMeeting[],
): CompanyActionItem[] {
  const dated: Array<{ item: CompanyActionItem; at: number }> = [];
  for (const meeting of meetings) {
    const ours = internalDomains(meeting);
    const start = Date.parse(startedAt(meeting) ?? '') || 0;
    for (const raw of meeting.action_items ?? []) {
      const text = raw.description?.replace(/\s+/g, ' ').trim();
      if (!text) continue;
      const assigneeEmail = raw.assignee?.email?.trim().toLowerCase() || null;
      const assigneeDomain = assigneeEmail ? inviteeDomain({ email: assigneeEmail }) : '';
      const owner: ActionOwner =
        assigneeDomain === ''
          ? 'unknown'
          : ours.has(assigneeDomain)
            ? 'us'
            : assigneeDomain === domain
              ? 'them'
              : 'unknown';
      const timestamp = raw.recording_timestamp ?? null;
      dated.push({
        item: {
          text,
          meetingId: meeting.recording_id,
          assignee: raw.assignee?.name?.trim() || null,
          assigneeEmail,
          owner,
          completed: raw.completed === true,
          timestamp,
          url: raw.recording_playback_url ?? null,
        },
        at: start + secondsOf(timestamp) * 1000,
      });
    }
  }
  dated.sort(
    (a, b) =>
      Number(a.item.completed) - Number(b.item.completed) ||
      b.at - a.at ||
      a.item.meetingId.localeCompare(b.item.meetingId) ||
      a.item.text.localeCompare(b.item.text),
  );
  return dated.map(({ item }) => item);
}

/** Our side's email domains in a meeting: the recorder's and every internal invitee's. */
function internalDomains(meeting: FathomMeeting): Set<string> {
  const domains = new Set<string>();
  if (meeting.recorded_by) {
    const recorder = inviteeDomain(meeting.recorded_by);
    if (recorder) domains.add(recorder);
  }
  for (const invitee of meeting.calendar_invitees) {
    if (invitee.is_external !== false) continue;
    const own = inviteeDomain(invitee);
    if (own) domains.add(own);
  }
  return domains;
}

/** "HH:MM:SS" (or "MM:SS") as seconds; 0 when absent or not a time. */
function secondsOf(timestamp: string | null): number {
  if (!timestamp || !/^\d+(:\d{1,2}){1,2}$/.test(timestamp)) return 0;
  return timestamp.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}
