import type { FathomMeeting } from '../../fathom/fathomMeeting.ts';
import { inviteeDomain } from '../../meetingFacts.ts';

/** A sentence said in a meeting, verbatim, and where: a transcript line or a summary line. */
export interface MeetingSentence {
  meetingId: string;
  source: 'transcript' | 'summary';
  /** 0-based transcript line, or 0-based line of the summary markdown. */
  line: number;
  /** Verbatim part of that line (spoken filler at its start left out). */
  quote: string;
}

/**
 * The sentences of a meeting that can state the company's goals and challenges: the Key
 * Takeaways of Fathom's summary (its purpose, topics and next steps say what was done, not
 * what the company wants), and what the company's own people said. The vendor's side is
 * never read: its questions and proposals are not the company's.
 */
export function meetingSentences(meeting: FathomMeeting, domain: string): MeetingSentence[] {
  const meetingId = meeting.recording_id;
  const found: MeetingSentence[] = [];
  const aboutAnotherCompany = otherCompanyMention(meeting, domain);
  let section = '';
  (meeting.default_summary?.markdown_formatted ?? '').split('\n').forEach((line, index) => {
    const heading = /^\s*#+\s*(.*)$/.exec(line);
    if (heading) {
      section = (heading[1] ?? '').trim().toLowerCase();
      return;
    }
    if (!section.startsWith('key takeaways')) return;
    const plain = line.replace(/^\s*([-*•]|\d+\.)\s*/, '').replace(/\*\*|__|`/g, '');
    for (const quote of splitSentences(plain)) {
      if (!aboutAnotherCompany(quote))
        found.push({ meetingId, source: 'summary', line: index, quote });
    }
  });
  (meeting.transcript ?? []).forEach((line, index) => {
    const email = line.speaker?.matched_calendar_invitee_email;
    if (!email || inviteeDomain({ email }) !== domain) return;
    for (const quote of splitSentences(line.text)) {
      found.push({ meetingId, source: 'transcript', line: index, quote });
    }
  });
  return found;
}

/**
 * In a meeting with several external companies, Fathom's summary speaks of each of them: a
 * sentence that names another company and not this one is about that other company.
 */
function otherCompanyMention(
  meeting: FathomMeeting,
  domain: string,
): (sentence: string) => boolean {
  const own = companyWord(domain);
  const others = [
    ...new Set(
      meeting.calendar_invitees
        .filter((invitee) => invitee.is_external !== false)
        .map((invitee) => inviteeDomain(invitee))
        .filter((d) => d && d !== domain)
        .map(companyWord)
        .filter((word) => word.length >= 3 && word !== own),
    ),
  ];
  if (others.length === 0) return () => false;
  return (sentence) => {
    const words = sentence.toLowerCase().split(/[^a-z0-9]+/);
    const mentions = (name: string) => words.some((word) => isCompanyName(word, name));
    return !mentions(own) && others.some(mentions);
  };
}

/**
 * Whether a word names the company: `kestrelfulfilment.com` is said "Kestrel", so a word
 * of four letters or more that starts the name counts, as does the name with a suffix.
 */
export function isCompanyName(word: string, name: string): boolean {
  return word.startsWith(name) || (word.length >= 4 && name.startsWith(word));
}

/** `lumen-retail.com` -> `lumen`: how people name the company in speech. */
export function companyWord(domain: string): string {
  const labels = domain.split('.');
  const name = labels.length > 2 ? (labels[labels.length - 2] as string) : (labels[0] as string);
  return (name.split('-')[0] ?? name).toLowerCase();
}

/** Spoken filler that opens a sentence without adding to it. */
const LEADING_FILLER =
  /^((so|yeah|yes|well|honestly|okay|ok|right|and|but|look|um|uh|also|plus),?\s+)+/i;

/** Sentences of a line, each verbatim (minus leading filler) so that it can be quoted. */
function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z"'])|(?<=;)\s+/)
    .map((s) => s.trim().replace(LEADING_FILLER, ''))
    .filter(Boolean);
}
