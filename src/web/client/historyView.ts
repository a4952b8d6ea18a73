import type { EarlierRunsQuery } from '../../generated/graphql.ts';
import { el } from './dom.ts';
import { formatAgo, formatWhen, plural, STATUS_LABELS } from './format.ts';

/** The "Earlier runs" list: one button per run of the domain, newest first. */

export type EarlierRun = EarlierRunsQuery['engagements'][number];

/** The meeting count once known; the badge already says running or failed. */
function describe(run: EarlierRun): string {
  const count = run.summary?.meetingsCount ?? run.progress.meetingsFound;
  const parts = [count === null || count === undefined ? '' : plural(count, 'meeting')];
  parts.push(formatAgo(run.createdAt));
  return parts.filter(Boolean).join(' · ');
}

export function renderHistory(
  list: HTMLUListElement,
  runs: readonly EarlierRun[],
  shownRunId: string | undefined,
  onSelect: (run: EarlierRun) => void,
): void {
  if (runs.length === 0) {
    list.replaceChildren(el('li', { class: 'muted small' }, 'No runs yet for this domain.'));
    return;
  }
  list.replaceChildren(
    ...runs.map((run) => {
      const shown = run.runId === shownRunId;
      const button = el(
        'button',
        {
          type: 'button',
          class: 'history-item',
          'data-testid': 'earlier-run',
          'data-run-id': run.runId,
          'data-status': run.status,
          'aria-current': shown ? 'true' : undefined,
          title: `Run ${run.runId}`,
        },
        el('span', { class: 'badge', 'data-status': run.status }, STATUS_LABELS[run.status]),
        el(
          'span',
          { class: 'history-text' },
          el('time', { class: 'history-time', datetime: run.createdAt }, formatWhen(run.createdAt)),
          el('span', { class: 'history-meta' }, describe(run)),
        ),
      );
      button.addEventListener('click', () => onSelect(run));
      return el('li', {}, button);
    }),
  );
}
