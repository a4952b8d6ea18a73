import type { EngagementStage, RunFieldsFragment } from '../../generated/graphql.ts';
import { el } from './dom.ts';
import { formatClock, plural, STAGE_LABELS, STAGES, STATUS_LABELS } from './format.ts';

/**
 * The live part of a run: the stepper, the one-line status (an aria-live region, so a screen
 * reader hears each step) and the log of every state the server pushed.
 */

type StepState = 'pending' | 'current' | 'done' | 'failed';

const STEP_HINTS: Record<EngagementStage, string> = {
  QUEUED: 'Waiting for a worker',
  FETCHING_MEETINGS: 'Listing recorded meetings',
  SUMMARIZING: 'Finding goals and challenges',
  DONE: 'Summary ready',
};

export interface ProgressElements {
  stepper: HTMLOListElement;
  statusText: HTMLElement;
  badge: HTMLElement;
  log: HTMLOListElement;
}

/** Builds the four steps once; `updateProgress` then only flips their attributes. */
export function initStepper(stepper: HTMLOListElement): void {
  stepper.replaceChildren(
    ...STAGES.map((stage, index) =>
      el(
        'li',
        {
          class: 'step',
          'data-stage': stage,
          'data-state': 'pending',
          'data-testid': `step-${stage}`,
        },
        el('span', { class: 'step-marker', 'aria-hidden': 'true' }, String(index + 1)),
        el(
          'span',
          { class: 'step-body' },
          el('span', { class: 'step-label' }, STAGE_LABELS[stage]),
          el('span', { class: 'step-detail' }, STEP_HINTS[stage]),
        ),
      ),
    ),
  );
}

function stepStates(run: RunFieldsFragment): StepState[] {
  const reached = STAGES.indexOf(run.progress.stage);
  return STAGES.map((_, index) => {
    if (run.status === 'COMPLETE') return 'done';
    if (index < reached) return 'done';
    if (index > reached) return 'pending';
    return run.status === 'ERROR' ? 'failed' : 'current';
  });
}

function statusSentence(run: RunFieldsFragment): string {
  const found = run.progress.meetingsFound;
  if (run.status === 'COMPLETE') {
    const count = run.summary?.meetingsCount ?? found ?? 0;
    return `Summary ready: ${plural(count, 'meeting')} with ${run.domain}.`;
  }
  if (run.status === 'ERROR') return `The run for ${run.domain} failed.`;
  switch (run.progress.stage) {
    case 'QUEUED':
      return `Queued: waiting for a worker to pick up ${run.domain}…`;
    case 'FETCHING_MEETINGS':
      return found === null
        ? `Fetching recorded meetings with ${run.domain}…`
        : `Found ${plural(found, 'meeting')} with ${run.domain}…`;
    case 'SUMMARIZING':
      return `Found ${plural(found ?? 0, 'meeting')}. Finding goals and challenges…`;
    default:
      return 'Finishing…';
  }
}

export function updateProgress(elements: ProgressElements, run: RunFieldsFragment): void {
  const states = stepStates(run);
  elements.stepper.querySelectorAll<HTMLLIElement>('.step').forEach((step, index) => {
    const state = states[index] ?? 'pending';
    step.dataset.state = state;
    if (state === 'current' || state === 'failed') step.setAttribute('aria-current', 'step');
    else step.removeAttribute('aria-current');
    const stage = STAGES[index];
    const detail = step.querySelector<HTMLElement>('.step-detail');
    if (!detail || !stage) return;
    // The count belongs to the fetching step, and shows the moment the server knows it.
    if (stage === 'FETCHING_MEETINGS' && run.progress.meetingsFound !== null) {
      detail.replaceChildren(
        el(
          'span',
          { class: 'step-count', 'data-testid': 'meetings-found' },
          plural(run.progress.meetingsFound, 'meeting'),
        ),
        ' found',
      );
    } else if (state === 'failed') {
      detail.textContent = 'Stopped here';
    } else if (
      stage === 'SUMMARIZING' &&
      run.status === 'COMPLETE' &&
      run.progress.meetingsFound === 0
    ) {
      // With no meetings the pipeline has nothing to read and skips this step.
      detail.textContent = 'Nothing to summarize';
    } else {
      detail.textContent = STEP_HINTS[stage];
    }
  });

  elements.statusText.textContent = statusSentence(run);
  elements.badge.textContent = STATUS_LABELS[run.status];
  elements.badge.dataset.status = run.status;
}

export function resetProgress(elements: ProgressElements): void {
  initStepper(elements.stepper);
  elements.log.replaceChildren();
  elements.statusText.textContent = 'Connecting to the run…';
  elements.badge.textContent = '';
  delete elements.badge.dataset.status;
}

export function appendLogEntry(log: HTMLOListElement, run: RunFieldsFragment): void {
  const found = run.progress.meetingsFound;
  log.appendChild(
    el(
      'li',
      {
        class: 'log-entry',
        'data-testid': 'log-entry',
        'data-version': run.version,
        'data-stage': run.progress.stage,
        'data-status': run.status,
      },
      el('span', { class: 'log-version', title: 'Version' }, `v${run.version}`),
      el(
        'span',
        { class: 'log-stage' },
        run.status === 'ERROR' ? 'Error' : STAGE_LABELS[run.progress.stage],
        // The count is news on the state that first carries it, not on every later one.
        found !== null && run.progress.stage === 'FETCHING_MEETINGS' && run.status !== 'ERROR'
          ? el('span', { class: 'log-extra' }, ` · ${found} found`)
          : null,
      ),
      el('time', { class: 'log-time', datetime: run.updatedAt }, formatClock(run.updatedAt)),
    ),
  );
}
