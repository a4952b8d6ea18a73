import type { FathomMeeting } from '../fathom/fathomMeeting.ts';
import { findQuote, type NormalizedText, normalizeQuoteText } from './quoteText.ts';

/** A quote found in a meeting, attributed as the contract says. */
export interface VerifiedQuote {
  meetingId: string;
  /** The meeting's own words, cut verbatim from the line or summary it was found in. */
  quote: string;
  /** The transcript line's speaker; null for a quote of the Fathom summary. */
  speaker: string | null;
  /** Exactly the line's `matched_calendar_invitee_email`: Fathom's match, never a guess. */
  speakerEmail: string | null;
  /** "HH:MM:SS" of the transcript line. */
  timestamp: string | null;
  /** Index of the transcript line, or null for the summary. */
  line: number | null;
}

interface IndexedText {
  original: string;
  normalized: NormalizedText;
}

/**
 * A meeting's own text, normalised once, against which the quotes of insights are checked:
 * each transcript line on its own, and the Fathom summary as plain text.
 */
export class MeetingQuotes {
  private readonly lines: IndexedText[];
  private readonly summary: IndexedText | null;

  constructor(private readonly meeting: FathomMeeting) {
    this.lines = (meeting.transcript ?? []).map((line) => indexed(line.text));
    const markdown = meeting.default_summary?.markdown_formatted;
    this.summary = markdown ? indexed(plainSummary(markdown)) : null;
  }

  get meetingId(): string {
    return this.meeting.recording_id;
  }

  /**
   * The quote as this meeting said it, or null when it did not. A transcript line wins over
   * the summary, so a quote the summary repeats is still attributed to whoever said it.
   */
  find(proposed: string): VerifiedQuote | null {
    const quote = normalizeQuoteText(proposed).text;
    if (quote === '') return null;
    for (const [index, line] of this.lines.entries()) {
      const found = findQuote(line.normalized, line.original, quote);
      if (found === null) continue;
      const said = this.meeting.transcript?.[index];
      return {
        meetingId: this.meetingId,
        quote: found,
        speaker: said?.speaker?.display_name?.trim() || null,
        speakerEmail: said?.speaker?.matched_calendar_invitee_email ?? null,
        timestamp: said?.timestamp ?? null,
        line: index,
      };
    }
    if (!this.summary) return null;
    const found = findQuote(this.summary.normalized, this.summary.original, quote);
    if (found === null) return null;
    return {
      meetingId: this.meetingId,
      quote: found,
      speaker: null,
      speakerEmail: null,
      timestamp: null,
      line: null,
    };
  }
}

/** A run's meetings by id, each normalised once for every quote checked against it. */
export type RunMeetingQuotes = ReadonlyMap<string, MeetingQuotes>;

/** Built once per run: the summariser and the verification of its answer both read it. */
export function runMeetingQuotes(meetings: readonly FathomMeeting[]): RunMeetingQuotes {
  return new Map(meetings.map((meeting) => [meeting.recording_id, new MeetingQuotes(meeting)]));
}

function indexed(original: string): IndexedText {
  return { original, normalized: normalizeQuoteText(original) };
}

/**
 * Fathom's summary markdown as the text a reader sees: headings, list markers, emphasis,
 * code marks and link targets removed, so a quote cut from it reads as prose.
 */
export function plainSummary(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*(#+|[-*+\u2022]|\d+[.)])\s*/, '')
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\*\*|__|`/g, '')
        .trim(),
    )
    .filter((line) => line !== '')
    .join('\n');
}
