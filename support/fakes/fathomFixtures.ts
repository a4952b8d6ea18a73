import type { FathomInvitee, FathomMeeting, FathomTranscriptLine } from './fakeFathom.ts';

/**
 * Deterministic Fathom meetings for tests: same options, same meetings, byte for byte.
 * Variety comes from a seeded PRNG, and every date derives from a fixed base date.
 */

export interface FixturePerson {
  name: string | null;
  email: string;
}

export interface FixtureCompany {
  domain: string;
  people: FixturePerson[];
}

export interface BuildMeetingsOptions {
  /** Default 'ourteam.io'. */
  ourDomain?: string;
  companies: FixtureCompany[];
  meetingsPerCompany: number;
  /** First recording_id; default 100000. Ids increase with created_at. */
  startId?: number;
  /** Default true; false gives `default_summary: null`. */
  withSummary?: boolean;
  /** Default true; false gives `transcript: null`. */
  withTranscript?: boolean;
  /** Default 6. */
  transcriptLinesPerMeeting?: number;
  /** Default 1. */
  seed?: number;
}

export const DEFAULT_OUR_DOMAIN = 'ourteam.io';
export const FIXTURE_BASE_DATE = '2025-09-01T15:00:00Z';

/** What company people say they want; each fixture meeting picks two. */
export const GOAL_PHRASES = [
  'cut onboarding time for new hires in half',
  'consolidate all reporting into one dashboard',
  'launch in the German market before Q2',
  'automate the monthly invoicing run',
  'give the support team a single view of each customer',
  'reduce churn among small accounts',
  'move our data warehouse to the cloud',
  'shorten the sales cycle for enterprise deals',
  'roll out SSO across every internal tool',
  'get weekly pipeline forecasts the board can trust',
  'standardise how we run quarterly business reviews',
  'double the number of self-serve signups',
] as const;

/** What stands in their way; each fixture meeting picks two. */
export const CHALLENGE_PHRASES = [
  'our customer data lives in five different tools',
  'legal review of every contract takes weeks',
  'the engineering team is stretched across too many projects',
  'nobody owns the reporting process end to end',
  'our current vendor contract runs until next spring',
  'security sign-off for new software is slow',
  'budget is frozen until the next planning cycle',
  'the sales team does not trust the CRM numbers',
  'we lost the only person who knew the billing system',
  'integrations keep breaking after every upgrade',
  'regional teams each follow their own process',
  'we cannot measure adoption of the tools we already pay for',
] as const;

const TOPICS = [
  'discovery call',
  'pricing review',
  'technical deep dive',
  'quarterly check-in',
  'rollout planning',
  'security questionnaire',
  'executive alignment',
  'renewal discussion',
];

const OUR_PEOPLE = [
  { name: 'Sam Seller', localPart: 'sam', team: 'Sales' },
  { name: 'Riley Success', localPart: 'riley', team: 'Customer Success' },
  { name: 'Morgan Lead', localPart: 'morgan', team: null },
];

const OUR_QUESTIONS = [
  'What are you hoping to achieve this quarter?',
  'What is getting in the way today?',
  'How are you handling that at the moment?',
  'What would success look like for your team?',
  'Who else is affected by this?',
  'What have you tried so far?',
];

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

export function buildMeetings(options: BuildMeetingsOptions): FathomMeeting[] {
  const ourDomain = options.ourDomain ?? DEFAULT_OUR_DOMAIN;
  const startId = options.startId ?? 100000;
  const linesPerMeeting = options.transcriptLinesPerMeeting ?? 6;
  const random = seededRandom(options.seed ?? 1);
  const total = options.companies.length * options.meetingsPerCompany;
  const meetings: FathomMeeting[] = [];

  // Companies take turns, so one company's meetings are spread across the pages of a listing.
  for (let round = 0; round < options.meetingsPerCompany; round++) {
    for (const company of options.companies) {
      const index = meetings.length;
      // One meeting a day, the newest on the base date, at a varying time of day.
      const scheduledStart =
        Date.parse(FIXTURE_BASE_DATE) -
        (total - 1 - index) * DAY_MS +
        pick(random, [0, 1, 2, 3, 4]) * 30 * MINUTE_MS;
      meetings.push(
        companyMeeting({
          id: startId + index,
          index,
          company,
          ourDomain,
          scheduledStart,
          random,
          linesPerMeeting,
          withSummary: options.withSummary ?? true,
          withTranscript: options.withTranscript ?? true,
        }),
      );
    }
  }
  return meetings;
}

/** A meeting with only our own people, which a company's summary must never draw on. */
export function internalMeeting(id: number, ourDomain = DEFAULT_OUR_DOMAIN): FathomMeeting {
  const scheduledStart =
    Date.parse(FIXTURE_BASE_DATE) - ((id % 50) + 1) * DAY_MS + 2 * 60 * MINUTE_MS;
  const [host, colleague] = OUR_PEOPLE.map((person) => ourPerson(person, ourDomain));
  if (!host || !colleague) throw new Error('fixture needs two of our people');
  const invitees = [host, colleague].map((person) => ourInvitee(person, ourDomain));
  const times = meetingTimes(scheduledStart, 30);
  const line = (person: PersonWithTeam, text: string, second: number): FathomTranscriptLine => ({
    speaker: { display_name: person.name, matched_calendar_invitee_email: person.email },
    text,
    timestamp: formatTimestamp(second),
  });
  return {
    title: `${companyName(ourDomain)} weekly sync`,
    meeting_title: 'Weekly sync',
    recording_id: id,
    url: `https://fathom.video/calls/${id}`,
    share_url: `https://fathom.video/share/${shareToken(id)}`,
    ...times,
    calendar_invitees_domains_type: 'only_internal',
    transcript_language: 'en',
    calendar_invitees: invitees,
    recorded_by: recordedBy(host, ourDomain),
    transcript: [
      line(host, 'Our goal is to close three new logos before the end of the month.', 5),
      line(colleague, 'The problem is our demo environment keeps going down.', 21),
      line(host, 'Can you chase the platform team about it?', 40),
    ],
    default_summary: {
      template_name: 'General',
      markdown_formatted: [
        '## Goals',
        '- Close three new logos before the end of the month',
        '',
        '## Challenges',
        '- The demo environment keeps going down',
      ].join('\n'),
    },
    action_items: [],
  };
}

/** A copy of `meeting` with one more calendar invitee (e.g. a second company, or a nameless one). */
export function withInvitee(meeting: FathomMeeting, invitee: FathomInvitee): FathomMeeting {
  const copy = structuredClone(meeting);
  copy.calendar_invitees.push({ ...invitee });
  if (invitee.is_external) copy.calendar_invitees_domains_type = 'one_or_more_external';
  return copy;
}

/** Title-cased first label of a domain: 'acme-labs.com' -> 'Acme Labs'. */
export function companyName(domain: string): string {
  const label = domain.split('.')[0] ?? domain;
  return label
    .split(/[-_]/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(' ');
}

interface PersonWithTeam {
  name: string;
  email: string;
  team: string | null;
}

interface CompanyMeetingInput {
  id: number;
  index: number;
  company: FixtureCompany;
  ourDomain: string;
  scheduledStart: number;
  random: () => number;
  linesPerMeeting: number;
  withSummary: boolean;
  withTranscript: boolean;
}

function companyMeeting(input: CompanyMeetingInput): FathomMeeting {
  const { id, company, ourDomain, random } = input;
  if (company.people.length === 0)
    throw new Error(`fixture company ${company.domain} has no people`);
  const topic = pick(random, TOPICS);
  const them = pickSome(random, company.people, 1 + Math.floor(random() * 3));
  const us = pickSome(random, OUR_PEOPLE, 1 + Math.floor(random() * 2)).map((person) =>
    ourPerson(person, ourDomain),
  );
  const goals = pickSome(random, GOAL_PHRASES, 2);
  const challenges = pickSome(random, CHALLENGE_PHRASES, 2);

  const externalInvitees: FathomInvitee[] = them.map((person, position) => ({
    // Every fourth meeting loses its first guest's name, as calendars often carry only an email.
    name: input.index % 4 === 3 && position === 0 ? null : person.name,
    email: person.email,
    email_domain: company.domain,
    is_external: true,
  }));
  const host = us[0];
  if (!host) throw new Error('fixture needs one of our people');
  const durationMinutes = pick(random, [30, 45, 60]);

  return {
    title: `${companyName(company.domain)} <> ${companyName(ourDomain)}: ${topic}`,
    // Ad-hoc calls have no calendar title.
    meeting_title:
      input.index % 5 === 4
        ? null
        : `${companyName(company.domain)} / ${companyName(ourDomain)} ${topic}`,
    recording_id: id,
    url: `https://fathom.video/calls/${id}`,
    share_url: `https://fathom.video/share/${shareToken(id)}`,
    ...meetingTimes(input.scheduledStart, durationMinutes),
    calendar_invitees_domains_type: 'one_or_more_external',
    transcript_language: 'en',
    calendar_invitees: [...externalInvitees, ...us.map((person) => ourInvitee(person, ourDomain))],
    recorded_by: recordedBy(host, ourDomain),
    transcript: input.withTranscript
      ? companyTranscript(externalInvitees, us, goals, challenges, input.linesPerMeeting)
      : null,
    default_summary: input.withSummary
      ? {
          template_name: 'General',
          markdown_formatted: summaryMarkdown(
            companyName(company.domain),
            topic,
            goals,
            challenges,
          ),
        }
      : null,
    action_items: [
      {
        description: `Send ${companyName(company.domain)} a follow-up on the ${topic}`,
        user_generated: false,
        completed: false,
        recording_timestamp: formatTimestamp(durationMinutes * 60 - 90),
        recording_playback_url: `https://fathom.video/calls/${id}?timestamp=${durationMinutes * 60 - 90}`,
        assignee: { name: host.name, email: host.email, team: host.team },
      },
    ],
  };
}

/**
 * Our people ask, company people answer with a goal or challenge cue; the points cycle when there
 * are more lines than points, so every line carries content a pipeline can extract.
 */
function companyTranscript(
  them: FathomInvitee[],
  us: PersonWithTeam[],
  goals: readonly string[],
  challenges: readonly string[],
  lineCount: number,
): FathomTranscriptLine[] {
  const statements = [
    `Our goal is to ${goals[0]}.`,
    `Our biggest challenge is that ${challenges[0]}.`,
    `We want to ${goals[1]}.`,
    `The problem is ${challenges[1]}.`,
  ];
  const lines: FathomTranscriptLine[] = [];
  for (let position = 0; position < lineCount; position++) {
    const turn = Math.floor(position / 2);
    const second = 12 + position * 37;
    if (position % 2 === 0) {
      const asker = us[turn % us.length] as PersonWithTeam;
      lines.push({
        speaker: { display_name: asker.name, matched_calendar_invitee_email: asker.email },
        text: OUR_QUESTIONS[turn % OUR_QUESTIONS.length] as string,
        timestamp: formatTimestamp(second),
      });
    } else {
      const speaker = them[turn % them.length] as FathomInvitee;
      lines.push({
        speaker: {
          // A nameless invitee shows up under whatever the video platform called them.
          display_name: speaker.name ?? (speaker.email ?? 'Guest').split('@')[0] ?? 'Guest',
          matched_calendar_invitee_email: speaker.email,
        },
        text: statements[turn % statements.length] as string,
        timestamp: formatTimestamp(second),
      });
    }
  }
  return lines;
}

function summaryMarkdown(
  company: string,
  topic: string,
  goals: readonly string[],
  challenges: readonly string[],
): string {
  return [
    '## Meeting Purpose',
    `${topic[0]?.toUpperCase()}${topic.slice(1)} with ${company}.`,
    '',
    '## Goals',
    ...goals.map((goal) => `- ${company} wants to ${goal}`),
    '',
    '## Challenges',
    ...challenges.map((challenge) => `- ${capitalise(challenge)}`),
    '',
    '## Next Steps',
    `- Send ${company} a follow-up on the ${topic}`,
  ].join('\n');
}

function meetingTimes(scheduledStart: number, durationMinutes: number) {
  const scheduledEnd = scheduledStart + durationMinutes * MINUTE_MS;
  const recordingStart = scheduledStart + 70 * 1000;
  const recordingEnd = scheduledEnd - 5 * 1000;
  return {
    // Fathom creates the record once the recording has been processed.
    created_at: iso(recordingEnd + 2 * MINUTE_MS),
    scheduled_start_time: iso(scheduledStart),
    scheduled_end_time: iso(scheduledEnd),
    recording_start_time: iso(recordingStart),
    recording_end_time: iso(recordingEnd),
  };
}

function ourPerson(
  person: { name: string; localPart: string; team: string | null },
  ourDomain: string,
): PersonWithTeam {
  return { name: person.name, email: `${person.localPart}@${ourDomain}`, team: person.team };
}

function ourInvitee(person: PersonWithTeam, ourDomain: string): FathomInvitee {
  return { name: person.name, email: person.email, email_domain: ourDomain, is_external: false };
}

function recordedBy(person: PersonWithTeam, ourDomain: string): FathomMeeting['recorded_by'] {
  return { name: person.name, email: person.email, email_domain: ourDomain, team: person.team };
}

/** Fathom's share links end in an opaque token; this one is stable per recording id. */
function shareToken(id: number): string {
  return Buffer.from(`share-${id}`).toString('base64url');
}

/** Fathom writes times without milliseconds. */
function iso(time: number): string {
  return new Date(time).toISOString().replace('.000Z', 'Z');
}

function formatTimestamp(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const parts = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}

function capitalise(text: string): string {
  return `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}

/** mulberry32: tiny, fast and good enough to vary fixtures reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** `count` distinct items (fewer if there are not enough), in their original order. */
function pickSome<T>(random: () => number, items: readonly T[], count: number): T[] {
  const indexes = items.map((_, index) => index);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes
    .slice(0, Math.min(count, items.length))
    .sort((a, b) => a - b)
    .map((index) => items[index] as T);
}
