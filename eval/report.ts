import { type InsightKind, type SetCounts, TRAP_KINDS } from './evalSet.ts';
import type { EvalScore, KindScore } from './score.ts';

/** What a summariser should reach; printed beside the figures, not enforced. */
export const TARGETS = { precision: 0.8, recall: 0.6 };

/** The plain-text table `npm run eval` prints. */
export function formatReport(
  summarizer: string,
  meetings: number,
  counts: SetCounts,
  score: EvalScore,
) {
  const traps = TRAP_KINDS.map((trap) => `${trap} ${score.trapHits[trap]}/${counts.traps[trap]}`);
  const verdicts = Object.entries(score.verdicts).map(([verdict, n]) => `${verdict} ${n}`);
  return [
    `${summarizer} summariser on the eval set: ${meetings} meetings, ${counts.companies} companies, ` +
      `${counts.groups.goal} goal and ${counts.groups.challenge} challenge groups`,
    '',
    formatTable(score),
    '',
    `Targets: precision >= ${TARGETS.precision}, recall >= ${TARGETS.recall} (for goals and for challenges)`,
    `Predictions by verdict: ${verdicts.join(', ')}`,
    `Trap hits (predictions / trap lines): ${traps.join(', ')}`,
    `Lines said with no cue word, found: ${score.noCueLines.found}/${score.noCueLines.total}`,
  ].join('\n');
}

/** Precision, recall and duplicates per kind, as aligned text. */
export function formatTable(score: EvalScore): string {
  const rows = (['goal', 'challenge'] as InsightKind[]).map((kind) => row(kind, score[kind]));
  const header = [
    '',
    'predicted',
    'matched',
    'precision',
    'groups',
    'found',
    'recall',
    'duplicates',
  ];
  return alignColumns([header, ...rows]).join('\n');
}

/** Left-aligns the first column and right-aligns the others, two spaces apart. */
function alignColumns(lines: string[][]): string[] {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((cells) => cells[i]?.length ?? 0)));
  return lines.map((cells) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths?.[i] ?? 0) : cell.padStart(widths?.[i] ?? 0)))
      .join('  '),
  );
}

function row(kind: InsightKind, s: KindScore): string[] {
  return [
    kind === 'goal' ? 'goals' : 'challenges',
    String(s.predictions),
    String(s.matched),
    withTarget(s.precision, TARGETS.precision),
    String(s.groups),
    String(s.groupsFound),
    withTarget(s.recall, TARGETS.recall),
    String(s.duplicates),
  ];
}

function withTarget(value: number | null, target: number): string {
  if (value === null) return 'n/a';
  return `${value.toFixed(2)} ${value >= target ? 'met' : 'below'}`;
}

/** The table for a part of the set (some of its companies), with its trap hits. */
export function formatPart(title: string, score: EvalScore): string {
  const traps = TRAP_KINDS.map((trap) => `${trap} ${score.trapHits[trap]}`);
  return [title, formatTable(score), `Trap hits: ${traps.join(', ')}`].join('\n');
}
