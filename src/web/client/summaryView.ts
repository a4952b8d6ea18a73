import type { RunFieldsFragment } from '../../generated/graphql.ts';
import { el, safeHref } from './dom.ts';
import { formatAgo, formatDate, formatDateTime, plural } from './format.ts';

/**
 * The finished summary, laid out for presenting to a customer-facing team: the counts at a
 * glance, then what the company wants and what is in its way (each finding naming the
 * meetings it came from, so it can be checked), then the meetings and the people.
 */

type Summary = NonNullable<RunFieldsFragment['summary']>;
type Meeting = Summary['meetings'][number];
type Insight = Summary['goals'][number];
type Evidence = Insight['evidence'][number];
type ActionItem = Summary['actionItems'][number];

function meetingLink(
  meeting: Meeting,
  attributes: Record<string, string>,
  label: (title: string) => Node | string = (title) => title,
): HTMLElement {
  const href = safeHref(meeting.url);
  const text = label(meeting.title || 'Untitled meeting');
  return href
    ? el('a', { ...attributes, href, target: '_blank', rel: 'noopener noreferrer' }, text)
    : el('span', attributes, text);
}

/**
 * A chip's text sits in its own element: text-overflow only applies to a block's own text,
 * never to a flex container's, so on the chip itself a long title was cut mid-letter.
 */
const chipLabel = (text: string) => el('span', { class: 'chip-label' }, text);

function citationChips(insight: Insight, meetingsById: Map<string, Meeting>): HTMLElement {
  const list = el('ul', { class: 'chips', 'aria-label': 'Mentioned in' });
  for (const id of insight.meetingIds) {
    const meeting = meetingsById.get(id);
    // A citation the meetings list does not hold still says which meeting it meant.
    const chip = meeting
      ? meetingLink(
          meeting,
          {
            class: 'chip',
            'data-testid': 'citation',
            'data-meeting-id': id,
            title: `${meeting.title} · ${formatDate(meeting.startedAt)}`,
          },
          chipLabel,
        )
      : el(
          'span',
          { class: 'chip', 'data-testid': 'citation', 'data-meeting-id': id },
          chipLabel(`Meeting ${id}`),
        );
    list.appendChild(el('li', {}, chip));
  }
  return list;
}

/** A card of the summary: its icon, title, one line saying what it holds, and a count. */
function cardSection(
  section: {
    id: string;
    testId: string;
    icon: string;
    title: string;
    lead: string;
    count: number;
    extraClass?: string;
  },
  body: HTMLElement,
): HTMLElement {
  const headingId = `${section.id}-title`;
  return el(
    'section',
    {
      class: section.extraClass ? `card ${section.extraClass}` : 'card',
      'aria-labelledby': headingId,
      'data-testid': section.testId,
    },
    el(
      'div',
      { class: 'section-head' },
      el('span', { class: `section-icon icon-${section.icon}`, 'aria-hidden': 'true' }),
      el(
        'div',
        {},
        el('h3', { id: headingId }, section.title),
        el('p', { class: 'muted small' }, section.lead),
      ),
      el('span', { class: 'count-pill' }, String(section.count)),
    ),
    body,
  );
}

/** Quotes shown under an insight before the reader asks for the rest. */
const QUOTES_SHOWN = 3;

/**
 * Where an insight was said: each quote verbatim, with who said it and when, and a link to
 * its meeting. A quote of Fathom's summary has no speaker or time, and says so. A long list
 * shows its first quotes and a button that shows (and hides again) the rest.
 */
function evidenceList(
  insight: Insight,
  listId: string,
  meetingsById: Map<string, Meeting>,
): HTMLElement {
  const items = insight.evidence.map((evidence, index) =>
    el(
      'li',
      {
        class: 'quote',
        'data-testid': 'quote',
        'data-meeting-id': evidence.meetingId,
        hidden: index >= QUOTES_SHOWN,
      },
      el('blockquote', {}, `“${evidence.quote}”`),
      el('p', { class: 'quote-source muted small' }, ...quoteSource(evidence, meetingsById)),
    ),
  );
  const list = el(
    'ul',
    { class: 'evidence', id: listId, 'aria-label': 'Where it was said' },
    ...items,
  );
  const more = items.length - QUOTES_SHOWN;
  if (more <= 0) return list;
  const collapsedLabel = `Show ${plural(more, 'more quote')}`;
  const toggle = el(
    'button',
    {
      type: 'button',
      class: 'more-quotes',
      'data-testid': 'more-quotes',
      'aria-expanded': 'false',
      'aria-controls': listId,
    },
    collapsedLabel,
  );
  toggle.addEventListener('click', () => {
    const expand = toggle.getAttribute('aria-expanded') !== 'true';
    for (const item of items.slice(QUOTES_SHOWN)) item.hidden = !expand;
    toggle.setAttribute('aria-expanded', String(expand));
    toggle.textContent = expand ? 'Show fewer quotes' : collapsedLabel;
  });
  return el('div', { class: 'evidence-block' }, list, toggle);
}

function quoteSource(evidence: Evidence, meetingsById: Map<string, Meeting>): Array<Node | string> {
  const meeting = meetingsById.get(evidence.meetingId);
  const where = meeting
    ? meetingLink(meeting, { class: 'quote-meeting' })
    : el('span', {}, `Meeting ${evidence.meetingId}`);
  if (!evidence.speaker) return ['From the meeting summary · ', where];
  const who = el(
    'span',
    { class: 'quote-speaker', title: evidence.speakerEmail ?? '' },
    evidence.speaker,
  );
  return [who, evidence.timestamp ? ` at ${evidence.timestamp} · ` : ' · ', where];
}

function insightSection(
  kind: 'goals' | 'challenges',
  insights: readonly Insight[],
  meetingsById: Map<string, Meeting>,
): HTMLElement {
  const title = kind === 'goals' ? 'Goals' : 'Challenges';
  const lead =
    kind === 'goals' ? 'What the company wants to achieve.' : 'What stands in its way today.';
  const body =
    insights.length === 0
      ? el('p', { class: 'muted' }, `No ${kind} were stated in these meetings.`)
      : el(
          'ul',
          { class: 'insights' },
          ...insights.map((insight, index) =>
            el(
              'li',
              {
                class: insight.isNew ? 'insight new' : 'insight',
                'data-testid': kind === 'goals' ? 'goal' : 'challenge',
                'data-new': String(insight.isNew),
              },
              el(
                'p',
                { class: 'insight-text' },
                // Every meeting it cites is new since the previous run.
                insight.isNew
                  ? el('span', { class: 'new-pill', 'data-testid': 'new-insight' }, 'New')
                  : '',
                insight.text,
              ),
              citationChips(insight, meetingsById),
              evidenceList(insight, `${kind}-${index}-quotes`, meetingsById),
            ),
          ),
        );
  return cardSection(
    {
      id: kind,
      testId: kind,
      icon: kind,
      title,
      lead,
      count: insights.length,
      extraClass: `insight-card ${kind}`,
    },
    body,
  );
}

const OWNER_LABEL: Record<ActionItem['owner'], string> = {
  US: 'Ours',
  THEM: 'Theirs',
  UNKNOWN: 'Unassigned',
};

/** Fathom's action items of the company's meetings: open ones first, each with its owner. */
function actionItemsSection(items: readonly ActionItem[]): HTMLElement {
  const open = items.filter((item) => !item.completed).length;
  const body =
    items.length === 0
      ? el('p', { class: 'muted' }, 'Fathom noted no action items in these meetings.')
      : el(
          'ul',
          { class: 'action-items' },
          ...items.map((item) => {
            const href = safeHref(item.url);
            const moment = item.timestamp ?? 'in the meeting';
            return el(
              'li',
              {
                class: `action-item${item.completed ? ' done' : ''}`,
                'data-testid': 'action-item',
                'data-owner': item.owner,
                'data-completed': String(item.completed),
              },
              el(
                'span',
                { class: `owner-pill owner-${item.owner.toLowerCase()}` },
                OWNER_LABEL[item.owner],
              ),
              el('span', { class: 'action-text' }, item.text),
              el(
                'span',
                { class: 'muted small' },
                item.completed ? 'Done' : 'Open',
                item.assignee ? ` · ${item.assignee}` : '',
                ' · ',
                href
                  ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, moment)
                  : moment,
              ),
            );
          }),
        );
  return cardSection(
    {
      id: 'actions',
      testId: 'action-items',
      icon: 'meetings',
      title: 'Action items',
      lead: `${plural(open, 'open item')}, ours and theirs.`,
      count: items.length,
    },
    body,
  );
}

function meetingsSection(meetings: readonly Meeting[]): HTMLElement {
  return cardSection(
    {
      id: 'meetings',
      testId: 'meetings',
      icon: 'meetings',
      title: 'Meetings',
      lead: 'Recorded meetings the company took part in.',
      count: meetings.length,
    },
    el(
      'ol',
      { class: 'meetings' },
      ...meetings.map((meeting) =>
        el(
          'li',
          { class: 'meeting', 'data-testid': 'meeting', 'data-meeting-id': meeting.id },
          el(
            'time',
            { class: 'meeting-date', datetime: meeting.startedAt ?? undefined },
            formatDate(meeting.startedAt),
          ),
          meetingLink(meeting, { class: 'meeting-title' }),
        ),
      ),
    ),
  );
}

function initials(text: string): string {
  const words = text
    .replace(/@.*/, '')
    .split(/[\s._-]+/)
    .filter(Boolean);
  return words
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? '')
    .join('');
}

function peopleSection(people: Summary['people']): HTMLElement {
  return cardSection(
    {
      id: 'people',
      testId: 'people',
      icon: 'people',
      title: 'People',
      lead: 'Who took part from the company.',
      count: people.length,
    },
    el(
      'ul',
      { class: 'people' },
      ...people.map((person) => {
        const name = person.name?.trim() || person.email;
        return el(
          'li',
          { class: 'person', 'data-testid': 'person' },
          el('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
          el(
            'span',
            { class: 'person-text' },
            el('span', { class: 'person-name' }, name),
            el(
              'a',
              { class: 'person-email', href: `mailto:${person.email}`, title: person.email },
              person.email,
            ),
            el(
              'span',
              { class: 'person-count', 'data-testid': 'person-meetings' },
              plural(person.meetingsCount, 'meeting'),
            ),
          ),
        );
      }),
    ),
  );
}

/**
 * What this run found that the company's previous complete run did not: "1 new meeting,
 * 1 new person since 3 days ago".
 */
function changesLine(changes: NonNullable<Summary['changes']>): HTMLElement {
  const ago = formatAgo(changes.previousCreatedAt);
  const since = `since ${ago === 'just now' ? 'a moment ago' : ago}`;
  const found = [
    changes.newMeetingIds.length > 0 ? plural(changes.newMeetingIds.length, 'new meeting') : '',
    changes.newPeopleEmails.length > 0
      ? plural(changes.newPeopleEmails.length, 'new person', 'new people')
      : '',
  ].filter(Boolean);
  const text =
    found.length > 0 ? `${found.join(', ')} ${since}` : `No new meetings or people ${since}`;
  return el(
    'p',
    {
      class: found.length > 0 ? 'changes-line has-changes' : 'changes-line',
      'data-testid': 'changes',
      title: `Compared with the run of ${formatDateTime(changes.previousCreatedAt)}`,
    },
    text,
  );
}

function stat(label: string, value: number, testId: string): HTMLElement {
  return el(
    'div',
    { class: 'stat' },
    el('dt', {}, label),
    el('dd', { 'data-testid': testId }, String(value)),
  );
}

function dateRange(meetings: readonly Meeting[]): string {
  const times = meetings
    .map((meeting) => (meeting.startedAt ? Date.parse(meeting.startedAt) : Number.NaN))
    .filter((time) => !Number.isNaN(time))
    .sort((a, b) => a - b);
  const first = times[0];
  const last = times[times.length - 1];
  if (first === undefined || last === undefined) return '';
  const from = formatDate(new Date(first).toISOString());
  const to = formatDate(new Date(last).toISOString());
  return from === to ? from : `${from} – ${to}`;
}

export interface SummaryElements {
  /** In the run card: the counts at a glance. */
  overview: HTMLElement;
  /** Below it: people, goals, challenges, meetings; or the "no meetings" message. */
  sections: HTMLElement;
}

export function clearSummary(elements: SummaryElements): void {
  for (const element of [elements.overview, elements.sections]) {
    element.replaceChildren();
    element.hidden = true;
  }
}

export function renderSummary(elements: SummaryElements, run: RunFieldsFragment): void {
  const summary = run.summary;
  clearSummary(elements);
  if (!summary) return;

  if (summary.meetingsCount === 0) {
    elements.sections.replaceChildren(
      el(
        'div',
        { class: 'card empty-state', 'data-testid': 'no-meetings' },
        el('span', { class: 'empty-icon', 'aria-hidden': 'true' }),
        el('h2', { id: 'summary-title' }, `No recorded meetings with ${run.domain} yet.`),
        el(
          'p',
          { class: 'muted' },
          'A meeting counts when someone with an email address at this domain was invited. ',
          'Check the spelling, or try the domain their people use for email.',
        ),
      ),
    );
    elements.sections.hidden = false;
    return;
  }

  const range = dateRange(summary.meetings);
  elements.overview.replaceChildren(
    el(
      'dl',
      { class: 'stats' },
      stat('Meetings', summary.meetingsCount, 'meetings-count'),
      stat('People', summary.people.length, 'people-count'),
      stat('Goals', summary.goals.length, 'goals-count'),
      stat('Challenges', summary.challenges.length, 'challenges-count'),
    ),
    el(
      'p',
      { class: 'muted small overview-meta' },
      `From ${plural(summary.meetingsCount, 'recorded meeting')}`,
      range ? ` · ${range}` : '',
      ` · generated ${formatDateTime(run.updatedAt)}`,
    ),
    ...(summary.changes ? [changesLine(summary.changes)] : []),
    ...(summary.droppedInsights > 0
      ? [
          el(
            'p',
            { class: 'muted small dropped-note', 'data-testid': 'dropped-note' },
            `${plural(summary.droppedInsights, 'finding')} left out: the meetings do not say ` +
              'them in so many words.',
          ),
        ]
      : []),
  );
  elements.overview.hidden = false;

  const meetingsById = new Map(summary.meetings.map((meeting) => [meeting.id, meeting]));
  elements.sections.replaceChildren(
    el('h2', { id: 'summary-title', class: 'visually-hidden' }, `Summary for ${run.domain}`),
    peopleSection(summary.people),
    insightSection('goals', summary.goals, meetingsById),
    insightSection('challenges', summary.challenges, meetingsById),
    actionItemsSection(summary.actionItems),
    meetingsSection(summary.meetings),
  );
  elements.sections.hidden = false;
}
