import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEvalSet, readLabelsFile, TRAP_KINDS } from '../../eval/evalSet.ts';
import { inviteeDomain } from '../../src/pipeline/meetingFacts.ts';
import { FileMeetingSource } from '../../src/pipeline/meetingSource.ts';

const evalDir = new URL('../../eval/', import.meta.url);
const internal = 'ourteam.io';

async function load() {
  const meetings = await new FileMeetingSource(
    fileURLToPath(new URL('meetings.json', evalDir)),
  ).listMeetings();
  const file = await readLabelsFile(fileURLToPath(new URL('labels.json', evalDir)));
  return { meetings, file, set: buildEvalSet(file, meetings) };
}

const speakerDomain = (email: string | null | undefined) => inviteeDomain({ email });

describe('the committed eval set', () => {
  it('holds realistic meetings of several companies in the list-meetings shape', async () => {
    const { meetings, file } = await load();
    expect(meetings.length).toBeGreaterThanOrEqual(30);
    expect(file.companies.length).toBeGreaterThanOrEqual(3);
    for (const meeting of meetings) {
      const lines = meeting.transcript ?? [];
      expect(lines.length).toBeGreaterThanOrEqual(15);
      expect(lines.length).toBeLessThanOrEqual(40);
      for (const line of lines) expect(line.timestamp).toMatch(/^\d\d:\d\d:\d\d$/);
      const sides = new Set(
        lines.map((l) => speakerDomain(l.speaker?.matched_calendar_invitee_email)),
      );
      expect(sides.has(internal)).toBe(true);
      expect([...sides].some((d) => file.companies.some((c) => c.domain === d))).toBe(true);
      for (const invitee of meeting.calendar_invitees) {
        expect(invitee.is_external).toBe(inviteeDomain(invitee) !== internal);
      }
      expect(meeting.default_summary?.markdown_formatted).toMatch(/^## /);
    }
  });

  it('has action items in Fathom shape, some completed, assigned to both sides', () => {
    const raw = JSON.parse(readFileSync(new URL('meetings.json', evalDir), 'utf8')) as {
      items: Array<{
        action_items: Array<{
          completed: boolean;
          recording_timestamp: string;
          assignee: { email: string };
        }>;
      }>;
    };
    const items = raw.items.flatMap((m) => m.action_items);
    expect(items.some((i) => i.completed)).toBe(true);
    expect(items.some((i) => !i.completed)).toBe(true);
    const owners = new Set(items.map((i) => speakerDomain(i.assignee.email) === internal));
    expect(owners).toEqual(new Set([true, false]));
    for (const item of items) expect(item.recording_timestamp).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  it('labels only what the company itself says, and every kind of trap', async () => {
    const { meetings, file, set } = await load();
    const byId = new Map(meetings.map((m) => [m.recording_id, m]));
    const speaker = (meetingId: string, line: number) =>
      speakerDomain(
        byId.get(meetingId)?.transcript?.[line]?.speaker?.matched_calendar_invitee_email,
      );

    const transcriptLabels = file.labels.filter((l) => l.source === 'transcript');
    expect(transcriptLabels.length).toBeGreaterThanOrEqual(40);
    for (const label of transcriptLabels) {
      expect(speaker(label.meeting_id, label.line)).toBe(set.groups.get(label.group)?.domain);
    }
    for (const trap of file.traps.filter((t) => t.trap === 'seller')) {
      expect(speaker(trap.meeting_id, trap.line)).toBe(internal);
    }
    expect(new Set(file.traps.map((t) => t.trap))).toEqual(new Set(TRAP_KINDS));
    expect(file.labels.some((l) => l.no_cue)).toBe(true);
    // Repeats: some groups are said in more than one meeting.
    const meetingsPerGroup = new Map<string, Set<string>>();
    for (const label of file.labels) {
      meetingsPerGroup.set(
        label.group,
        (meetingsPerGroup.get(label.group) ?? new Set()).add(label.meeting_id),
      );
    }
    expect([...meetingsPerGroup.values()].filter((ids) => ids.size > 1).length).toBeGreaterThan(20);
  });
});
