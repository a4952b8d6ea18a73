import type { EngagementStage, EngagementStatus } from '../../generated/graphql.ts';

/** Words a person reads for the API's enums and timestamps. */

export const STAGES: readonly EngagementStage[] = [
  'QUEUED',
  'FETCHING_MEETINGS',
  'SUMMARIZING',
  'DONE',
];

export const STAGE_LABELS: Record<EngagementStage, string> = {
  QUEUED: 'Queued',
  FETCHING_MEETINGS: 'Fetching meetings',
  SUMMARIZING: 'Summarizing',
  DONE: 'Done',
};

export const STATUS_LABELS: Record<EngagementStatus, string> = {
  PROCESSING: 'In progress',
  COMPLETE: 'Complete',
  ERROR: 'Failed',
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
// Tenths of a second: steps a few hundred milliseconds apart still read as distinct.
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 1,
});

function parse(iso: string | null | undefined): Date | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatDate(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateFormat.format(date) : 'Date unknown';
}

export function formatDateTime(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateTimeFormat.format(date) : '';
}

/** "Today, 9:43 AM" for today's runs, the full date otherwise: short enough for a list. */
export function formatWhen(iso: string | null | undefined, now = new Date()): string {
  const date = parse(iso);
  if (!date) return '';
  return date.toDateString() === now.toDateString()
    ? `Today, ${timeFormat.format(date)}`
    : dateTimeFormat.format(date);
}

export function formatClock(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? clockFormat.format(date) : '';
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "2 minutes ago": easier to scan in a list of runs than a timestamp. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  const date = parse(iso);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 24) return relative.format(hours, 'hour');
  return relative.format(Math.round(hours / 24), 'day');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
