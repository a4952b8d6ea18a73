import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PipelineError } from './engagementPipeline.ts';
import type { FathomClient } from './fathom/fathomClient.ts';
import { type FathomMeeting, fathomMeetingSchema } from './fathom/fathomMeeting.ts';
import { meetingFacts } from './meetingFacts.ts';

/** Where a run's meetings come from: the Fathom API, or a file in the same shape. */
export interface MeetingSource {
  /**
   * Meetings the company may have taken part in, with summaries, transcripts and action
   * items; which of them it really took part in is decided from their invitees (meetingFacts).
   */
  listMeetings(domain: string, signal: AbortSignal): Promise<FathomMeeting[]>;
}

/** Emails per `calendar_invitees[]` listing, to keep each request's URL short. */
const EMAILS_PER_LISTING = 20;

/**
 * Lists through the API with Fathom's own invitee-domain filter, summaries and transcripts
 * (insights quote transcript lines, so every meeting's transcript is needed); a meeting
 * listed without its transcript field gets it from the transcript endpoint.
 *
 * Fathom associates a meeting with one company only, so a call to which the company was
 * invited alongside another external company may be listed under the other one alone. So
 * the meetings of the company's people found by domain are listed too, by their emails
 * (`calendar_invitees[]`, without transcripts: most are the same meetings again), and those
 * the domain listing missed are added with their transcripts fetched one by one.
 */
export class FathomMeetingSource implements MeetingSource {
  constructor(private readonly client: FathomClient) {}

  async listMeetings(domain: string, signal: AbortSignal): Promise<FathomMeeting[]> {
    const meetings = await this.client.listMeetings(
      { inviteeDomains: [domain], includeTranscript: true },
      signal,
    );
    const listed = new Set(meetings.map((m) => m.recording_id));
    // The company's people, by the same rule as the summary's `people`.
    const emails = meetingFacts(domain, meetings)
      .people.map((person) => person.email)
      .sort();
    for (let i = 0; i < emails.length; i += EMAILS_PER_LISTING) {
      const byPeople = await this.client.listMeetings(
        { inviteeEmails: emails.slice(i, i + EMAILS_PER_LISTING), includeTranscript: false },
        signal,
      );
      for (const meeting of byPeople) {
        if (listed.has(meeting.recording_id)) continue;
        listed.add(meeting.recording_id);
        meetings.push(meeting);
      }
    }
    for (const meeting of meetings) {
      if (meeting.transcript === undefined) {
        meeting.transcript = await this.client.getTranscript(meeting.recording_id, signal);
      }
    }
    return meetings;
  }
}

const meetingsFileSchema = z.object({ items: z.array(fathomMeetingSchema) });

/** MEETINGS_FILE: the list-meetings shape (`{ "items": [...] }`) read from disk once. */
export class FileMeetingSource implements MeetingSource {
  private loaded: Promise<FathomMeeting[]> | undefined;

  constructor(private readonly path: string) {}

  async listMeetings(): Promise<FathomMeeting[]> {
    this.loaded ??= this.load();
    // Each run gets its own copies, so nothing one run does can reach another.
    return structuredClone(await this.loaded);
  }

  private async load(): Promise<FathomMeeting[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      this.loaded = undefined;
      throw new PipelineError(`MEETINGS_FILE could not be read (${this.path}).`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.loaded = undefined;
      throw new PipelineError(`MEETINGS_FILE is not valid JSON (${this.path}).`);
    }
    const parsed = meetingsFileSchema.safeParse(json);
    if (!parsed.success) {
      this.loaded = undefined;
      throw new PipelineError(
        `MEETINGS_FILE is not in the Fathom list-meetings shape: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data.items;
  }
}
