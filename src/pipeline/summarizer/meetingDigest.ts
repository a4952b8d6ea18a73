import type { FathomMeeting } from '../fathom/fathomMeeting.ts';
import { inviteeDomain, startedAt } from '../meetingFacts.ts';
import type { TokenCounter } from './tokenCounter.ts';

/** How the material names a transcript line's speaker when Fathom gives none. */
export const UNKNOWN_SPEAKER = 'Unknown speaker';

/** One piece of meeting material for the LLM, small enough for one request. */
export interface DigestPart {
  meetingId: string;
  text: string;
  tokens: number;
}

/**
 * The text the LLM reads for one meeting: a header naming its id (what insights cite), its
 * title, date and the company's attendees, then Fathom's summary and the transcript, one
 * line per transcript line, so that the LLM can quote either. Nothing is cut: a meeting too
 * long for one request is split into parts that each carry the header.
 */
export function digestMeeting(
  meeting: FathomMeeting,
  domain: string,
  counter: TokenCounter,
  maxTokens: number,
): DigestPart[] {
  const id = meeting.recording_id;
  const { header, body } = materialOf(meeting, domain);
  const whole = `${header()}\n${body}`;
  const wholeTokens = counter.count(whole);
  if (wholeTokens <= maxTokens) return [{ meetingId: id, text: whole, tokens: wholeTokens }];

  const lines = splitLongLines(body.split('\n'), counter, Math.max(16, Math.floor(maxTokens / 2)));
  const parts: string[][] = [];
  let current: string[] = [];
  let currentTokens = 0;
  const headerTokens = counter.count(`${header(' (part 999 of 999)')}\n`);
  for (const line of lines) {
    const lineTokens = counter.count(`${line}\n`);
    if (current.length > 0 && headerTokens + currentTokens + lineTokens > maxTokens) {
      parts.push(current);
      current = [];
      currentTokens = 0;
    }
    current.push(line);
    currentTokens += lineTokens;
  }
  if (current.length > 0) parts.push(current);
  return parts.map((partLines, i) => {
    const text = `${header(` (part ${i + 1} of ${parts.length})`)}\n${partLines.join('\n')}`;
    return { meetingId: id, text, tokens: counter.count(text) };
  });
}

/**
 * Everything the LLM reads of one meeting, whole (as `digestMeeting` sends it when it fits one
 * request): what its findings are kept by, so that any change to it makes them stale.
 */
export function meetingMaterial(meeting: FathomMeeting, domain: string): string {
  const { header, body } = materialOf(meeting, domain);
  return `${header()}\n${body}`;
}

function materialOf(
  meeting: FathomMeeting,
  domain: string,
): { header: (part?: string) => string; body: string } {
  const date = startedAt(meeting)?.slice(0, 10) ?? 'date unknown';
  const attendees = meeting.calendar_invitees
    .filter((invitee) => inviteeDomain(invitee) === domain)
    .map((invitee) => invitee.name || invitee.email)
    .filter(Boolean);
  const title = `Meeting ${meeting.recording_id}: ${meeting.title || meeting.meeting_title || 'Untitled'} (${date})`;
  const attendeeLine =
    attendees.length > 0 ? `\nAttendees from ${domain}: ${attendees.join(', ')}` : '';
  const summary = meeting.default_summary?.markdown_formatted?.trim();
  const transcript = transcriptLines(meeting);
  const sections = [
    ...(summary ? [`Summary:\n${summary}`] : []),
    ...(transcript.length > 0 ? [`Transcript:\n${transcript.join('\n')}`] : []),
  ];
  return {
    header: (part = '') => `${title}${part}${attendeeLine}`,
    body: sections.length > 0 ? sections.join('\n') : '(no transcript or summary available)',
  };
}

/**
 * The transcript as `[HH:MM:SS] Speaker: text`, one line per transcript line and never
 * joined: a quote is verified against one line, so it must be copied from one.
 */
function transcriptLines(meeting: FathomMeeting): string[] {
  const lines: string[] = [];
  for (const line of meeting.transcript ?? []) {
    const text = line.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const speaker = line.speaker?.display_name?.trim() || UNKNOWN_SPEAKER;
    const at = line.timestamp ? `[${line.timestamp}] ` : '';
    lines.push(`${at}${speaker}: ${text}`);
  }
  return lines;
}

/**
 * Splits any line longer than `maxTokens` at word boundaries. Word counts are summed (a
 * slight over-estimate of the joined text), which keeps this linear in the line's length.
 */
function splitLongLines(lines: string[], counter: TokenCounter, maxTokens: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (counter.count(line) <= maxTokens) {
      out.push(line);
      continue;
    }
    let piece: string[] = [];
    let pieceTokens = 0;
    for (const word of line.split(' ')) {
      const wordTokens = counter.count(` ${word}`);
      if (piece.length > 0 && pieceTokens + wordTokens > maxTokens) {
        out.push(piece.join(' '));
        piece = [];
        pieceTokens = 0;
      }
      piece.push(word);
      pieceTokens += wordTokens;
    }
    if (piece.length > 0) out.push(piece.join(' '));
  }
  return out;
}
