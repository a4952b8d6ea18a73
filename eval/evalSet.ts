import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FathomMeeting } from '../src/pipeline/fathom/fathomMeeting.ts';
import { normaliseForMatch } from './normaliseForMatch.ts';

/**
 * The labelled evaluation set: which lines of which meetings state a company's goal or
 * challenge (grouped, so that one insight said several times counts once), and which lines
 * are traps a summariser must not extract.
 */

export const TRAP_KINDS = [
  'seller',
  'negation',
  'resolved',
  'hypothetical',
  'small_talk',
  'hedged',
] as const;
export type TrapKind = (typeof TRAP_KINDS)[number];
export type InsightKind = 'goal' | 'challenge';

const kind = z.enum(['goal', 'challenge']);
/** A line of a meeting: a transcript line, or a line of its Fathom summary markdown. */
const anchor = {
  meeting_id: z.string(),
  source: z.enum(['transcript', 'summary']),
  line: z.number().int().nonnegative(),
};

export const labelsFileSchema = z.object({
  companies: z.array(z.object({ domain: z.string(), name: z.string() })),
  groups: z.array(z.object({ id: z.string(), domain: z.string(), kind, text: z.string() })),
  labels: z.array(
    z.object({
      ...anchor,
      kind,
      group: z.string(),
      text: z.string(),
      /** Said plainly, with none of the usual cue words ("goal", "problem", "we want"). */
      no_cue: z.boolean().optional(),
    }),
  ),
  traps: z.array(z.object({ ...anchor, trap: z.enum(TRAP_KINDS) })),
});

export type LabelsFile = z.output<typeof labelsFileSchema>;
export type Label = LabelsFile['labels'][number];
export type Group = LabelsFile['groups'][number];
export type Trap = LabelsFile['traps'][number];

/** A line some label or trap points at, with its text folded for matching. */
export interface MarkedLine {
  meetingId: string;
  source: 'transcript' | 'summary';
  line: number;
  normalised: string;
  labels: Label[];
  traps: TrapKind[];
}

export interface EvalSet {
  companies: LabelsFile['companies'];
  groups: Map<string, Group>;
  labels: Label[];
  traps: Trap[];
  /** Per meeting id, the lines of that meeting that a label or a trap points at. */
  markedLines: Map<string, MarkedLine[]>;
}

export async function readLabelsFile(path: string): Promise<LabelsFile> {
  return labelsFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/**
 * Joins the labels to the meetings' text. Throws, naming every inconsistency, when a label
 * points at a line that does not exist or at a group it does not agree with: a broken set
 * must not produce figures.
 */
export function buildEvalSet(file: LabelsFile, meetings: FathomMeeting[]): EvalSet {
  const problems: string[] = [];
  const byId = new Map(meetings.map((meeting) => [meeting.recording_id, meeting]));
  const groups = new Map(file.groups.map((group) => [group.id, group]));
  const domains = new Set(file.companies.map((company) => company.domain));
  for (const group of file.groups) {
    if (!domains.has(group.domain)) problems.push(`group ${group.id}: unknown company`);
  }

  const marked = new Map<string, MarkedLine>();
  const markedLine = (at: Trap | Label, what: string) => {
    const key = `${at.meeting_id}/${at.source}/${at.line}`;
    const known = marked.get(key);
    if (known) return known;
    const text = lineText(byId.get(at.meeting_id), at.source, at.line);
    if (text === undefined) {
      problems.push(`${what}: no ${at.source} line ${at.line} in meeting ${at.meeting_id}`);
      return undefined;
    }
    const line: MarkedLine = {
      meetingId: at.meeting_id,
      source: at.source,
      line: at.line,
      normalised: normaliseForMatch(text),
      labels: [],
      traps: [],
    };
    marked.set(key, line);
    return line;
  };

  for (const label of file.labels) {
    const what = `label ${label.group} (${label.meeting_id} ${label.source} ${label.line})`;
    const group = groups.get(label.group);
    if (!group) problems.push(`${what}: unknown group`);
    else if (group.kind !== label.kind) problems.push(`${what}: kind differs from its group`);
    markedLine(label, what)?.labels.push(label);
  }
  for (const trap of file.traps) {
    markedLine(
      trap,
      `trap ${trap.trap} (${trap.meeting_id} ${trap.source} ${trap.line})`,
    )?.traps.push(trap.trap);
  }
  for (const line of marked.values()) {
    if (line.labels.length > 0 && line.traps.length > 0) {
      problems.push(`${line.meetingId} ${line.source} ${line.line}: both a label and a trap`);
    }
  }
  if (problems.length > 0)
    throw new Error(`The eval labels are inconsistent:\n${problems.join('\n')}`);

  const markedLines = new Map<string, MarkedLine[]>();
  for (const line of marked.values()) {
    markedLines.set(line.meetingId, [...(markedLines.get(line.meetingId) ?? []), line]);
  }
  return {
    companies: file.companies,
    groups,
    labels: file.labels,
    traps: file.traps,
    markedLines,
  };
}

function lineText(
  meeting: FathomMeeting | undefined,
  source: 'transcript' | 'summary',
  line: number,
): string | undefined {
  if (!meeting) return undefined;
  if (source === 'transcript') return meeting.transcript?.[line]?.text;
  return meeting.default_summary?.markdown_formatted?.split('\n')[line];
}

export interface SetCounts {
  companies: number;
  groups: Record<InsightKind, number>;
  transcriptLabels: Record<InsightKind, number>;
  summaryLabels: Record<InsightKind, number>;
  noCueLabels: number;
  traps: Record<TrapKind, number>;
}

/** What the set holds, for the report and the README. */
export function countSet(set: EvalSet): SetCounts {
  const byKind = (items: Array<{ kind: InsightKind }>) => ({
    goal: items.filter((item) => item.kind === 'goal').length,
    challenge: items.filter((item) => item.kind === 'challenge').length,
  });
  return {
    companies: set.companies.length,
    groups: byKind([...set.groups.values()]),
    transcriptLabels: byKind(set.labels.filter((label) => label.source === 'transcript')),
    summaryLabels: byKind(set.labels.filter((label) => label.source === 'summary')),
    noCueLabels: set.labels.filter((label) => label.no_cue).length,
    traps: Object.fromEntries(
      TRAP_KINDS.map((trap) => [trap, set.traps.filter((t) => t.trap === trap).length]),
    ) as Record<TrapKind, number>,
  };
}
