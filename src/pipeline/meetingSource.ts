import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PipelineError } from './engagementPipeline.ts';
import type { FathomClient } from './fathom/fathomClient.ts';
import { type FathomMeeting, fathomMeetingSchema } from './fathom/fathomMeeting.ts';

/** Where a run's meetings come from: the Fathom API, or a file in the same shape. */
export interface MeetingSource {
  /** Meetings Fathom associates with the domain, with summaries, transcripts and action items. */
  listMeetings(domain: string, signal: AbortSignal): Promise<FathomMeeting[]>;
}

/**
 * Lists through the API with Fathom's own invitee-domain filter, summaries and transcripts
 * (insights quote transcript lines, so every meeting's transcript is needed); a meeting
 * listed without its transcript field gets it from the transcript endpoint.
 */
export class FathomMeetingSource implements MeetingSource {
  constructor(private readonly client: FathomClient) {}

  async listMeetings(domain: string, signal: AbortSignal): Promise<FathomMeeting[]> {
    const meetings = await this.client.listMeetings(
      { inviteeDomain: domain, includeTranscript: true },
      signal,
    );
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
