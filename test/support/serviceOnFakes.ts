import {
  type FakeFathom,
  type FakeFathomOptions,
  type FathomMeeting,
  startFakeFathom,
} from '../../support/fakes/fakeFathom.ts';
import {
  type FakeOpenAI,
  type FakeOpenAIOptions,
  startFakeOpenAI,
} from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, withInvitee } from '../../support/fakes/fathomFixtures.ts';
import { type BackendKind, startTestApp, type TestApp } from './testApp.ts';

export const ACME = 'acme.com';

/**
 * The meetings, oldest first, with the newest held back: it brings someone from Acme never
 * met before (Lee Chen), so a run after it has one new meeting and one new person.
 */
export function newestWithNewPerson(meetings: FathomMeeting[]): {
  earlier: FathomMeeting[];
  newest: FathomMeeting;
} {
  const newest = withInvitee(meetings.at(-1) as FathomMeeting, {
    name: 'Lee Chen',
    email: 'lee@acme.com',
    email_domain: ACME,
    is_external: true,
  });
  return { earlier: meetings.slice(0, -1), newest };
}

/** Four meetings with Acme (Jane Doe and Raj Patel), one a day, oldest first. */
export function acmeMeetings(): FathomMeeting[] {
  return buildMeetings({
    companies: [
      {
        domain: ACME,
        people: [
          { name: 'Jane Doe', email: 'jane@acme.com' },
          { name: 'Raj Patel', email: 'raj@acme.com' },
        ],
      },
    ],
    meetingsPerCompany: 4,
  });
}

export interface ServiceOnFakes {
  server: TestApp;
  /** Push to `fathom.meetings` to make a meeting appear. */
  fathom: FakeFathom;
  openai: FakeOpenAI;
}

/**
 * The real service with its real pipeline, on a fake Fathom holding `meetings` (three to a
 * page, unless `fathom` says otherwise) and a fake OpenAI answering with `respond`. Each
 * part's close is pushed onto `cleanups`, to run in reverse order after the test.
 */
export async function startServiceOnFakes(
  backend: BackendKind,
  meetings: FathomMeeting[],
  cleanups: Array<() => Promise<void>>,
  respond?: FakeOpenAIOptions['respond'],
  fathomOptions: Omit<FakeFathomOptions, 'meetings'> = {},
): Promise<ServiceOnFakes> {
  const fathom = await startFakeFathom({ meetings, pageSize: 3, ...fathomOptions });
  cleanups.push(() => fathom.close());
  const openai = await startFakeOpenAI(respond ? { respond } : {});
  cleanups.push(() => openai.close());
  const server = await startTestApp(backend, {
    FATHOM_API_KEY: 'fathom-test-key',
    FATHOM_BASE_URL: fathom.baseUrl,
    OPENAI_API_KEY: 'openai-test-key',
    OPENAI_BASE_URL: openai.baseUrl,
    RUN_TIMEOUT_MS: '20000',
  });
  cleanups.push(() => server.close());
  return { server, fathom, openai };
}
