import { z } from 'zod';

/**
 * The part of Fathom's meeting shape the pipeline reads, validated leniently: unknown fields
 * are ignored, and fields Fathom documents as nullable or optional may be missing.
 */

const invitee = z.object({
  name: z.string().nullish(),
  email: z.string().nullish(),
  email_domain: z.string().nullish(),
  is_external: z.boolean().nullish(),
});

const actionItem = z.object({
  description: z.string().nullish(),
  completed: z.boolean().nullish(),
  recording_timestamp: z.string().nullish(),
  recording_playback_url: z.string().nullish(),
  assignee: z.object({ name: z.string().nullish(), email: z.string().nullish() }).nullish(),
});

const transcriptLine = z.object({
  speaker: z
    .object({
      display_name: z.string().nullish(),
      matched_calendar_invitee_email: z.string().nullish(),
    })
    .nullish(),
  text: z.string(),
  timestamp: z.string().nullish(),
});

export const fathomMeetingSchema = z.object({
  title: z.string().nullish(),
  meeting_title: z.string().nullish(),
  recording_id: z.union([z.number(), z.string()]).transform(String),
  url: z.string().nullish(),
  share_url: z.string().nullish(),
  created_at: z.string().nullish(),
  scheduled_start_time: z.string().nullish(),
  recording_start_time: z.string().nullish(),
  calendar_invitees: z
    .array(invitee)
    .nullish()
    .transform((v) => v ?? []),
  recorded_by: z
    .object({
      name: z.string().nullish(),
      email: z.string().nullish(),
      email_domain: z.string().nullish(),
    })
    .nullish(),
  transcript: z.array(transcriptLine).nullish(),
  action_items: z.array(actionItem).nullish(),
  default_summary: z
    .object({ template_name: z.string().nullish(), markdown_formatted: z.string().nullish() })
    .nullish(),
});

export type FathomMeeting = z.output<typeof fathomMeetingSchema>;
export type FathomTranscriptLine = z.output<typeof transcriptLine>;

export const meetingsPageSchema = z.object({
  items: z.array(fathomMeetingSchema),
  next_cursor: z.string().nullish(),
});

export const transcriptResponseSchema = z.object({
  transcript: z.array(transcriptLine).nullish(),
});
