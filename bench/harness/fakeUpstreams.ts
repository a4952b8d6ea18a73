/**
 * Child entry: the loopback fakes of Fathom and OpenAI (support/fakes), in a process of their
 * own so that the service's memory and CPU are measured without them. Fathom holds a
 * company's recorded meetings (and other companies' and internal ones around them):
 * BENCH_MEETINGS_PER_COMPANY of them (default 12), each with BENCH_TRANSCRIPT_LINES transcript
 * lines (default 6).
 */
import { chatRequestTokens, TiktokenCounter } from '../../src/pipeline/summarizer/tokenCounter.ts';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, internalMeeting } from '../../support/fakes/fathomFixtures.ts';
import { serveCalls } from './processes.ts';

/** What this process tells its parent once its fakes listen. */
export interface FakeUpstreams {
  fathomBaseUrl: string;
  fathomKey: string;
  openaiBaseUrl: string;
  openaiKey: string;
  company: string;
}

const BENCH_COMPANY = 'northwind-bench.com';
const FATHOM_KEY = 'fathom-test-key';
const OPENAI_KEY = 'openai-test-key';
const meetingsPerCompany = Number(process.env.BENCH_MEETINGS_PER_COMPANY ?? 12);
const transcriptLinesPerMeeting = Number(process.env.BENCH_TRANSCRIPT_LINES ?? 6);

const person = (name: string, domain: string) => ({
  name,
  email: `${name.toLowerCase()}@${domain}`,
});
const company = {
  domain: BENCH_COMPANY,
  people: [person('Ada', BENCH_COMPANY), person('Lin', BENCH_COMPANY)],
};

const fathom = await startFakeFathom({
  apiKey: FATHOM_KEY,
  meetings: [
    ...buildMeetings({
      companies: [
        company,
        { domain: 'other-bench.com', people: [person('Sam', 'other-bench.com')] },
      ],
      meetingsPerCompany,
      transcriptLinesPerMeeting,
    }),
    internalMeeting(900001),
  ],
});
const openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
let added = 0;
let counter: TiktokenCounter | undefined;

process.once('SIGTERM', () => {
  void Promise.all([fathom.close(), openai.close()]).finally(() => process.exit(0));
});

serveCalls(
  {
    chatRequests: () => openai.requests.length,
    fathomRequests: () => fathom.requests.length,
    /** One more recorded meeting with the company, newer than every other. */
    addCompanyMeeting: () => {
      added += 1;
      const [meeting] = buildMeetings({
        companies: [company],
        meetingsPerCompany: 1,
        transcriptLinesPerMeeting,
        startId: 800000 + added,
        seed: 100 + added,
      });
      if (!meeting) throw new Error('no meeting built');
      fathom.meetings.push(meeting);
      return meeting.recording_id;
    },
    /** Tokens (o200k) of what the company's meetings say: each summary and transcript line. */
    materialTokens: () => {
      counter ??= new TiktokenCounter();
      const tokens = counter;
      return fathom.meetings
        .filter((m) => m.calendar_invitees.some((i) => i.email_domain === BENCH_COMPANY))
        .reduce(
          (sum, m) =>
            sum +
            tokens.count(
              [
                m.default_summary?.markdown_formatted ?? '',
                ...(m.transcript ?? []).map((line) => line.text),
              ].join('\n'),
            ),
          0,
        );
    },
    /**
     * Prompt tokens of the chat requests from index `from` on, as OpenAI counts them (o200k,
     * the messages plus the Structured Outputs schema as sent).
     */
    promptTokens: ({ from }: { from: number }) => {
      counter ??= new TiktokenCounter();
      const tokens = counter;
      const requests = openai.requests.slice(from);
      return {
        requests: requests.length,
        tokens: requests.reduce((sum, request) => {
          const format = request.body.response_format as { json_schema?: unknown } | undefined;
          const schema = format?.json_schema ? tokens.count(JSON.stringify(format.json_schema)) : 0;
          return sum + chatRequestTokens(tokens, request.body.messages, schema);
        }, 0),
      };
    },
  },
  {
    fathomBaseUrl: fathom.baseUrl,
    fathomKey: FATHOM_KEY,
    openaiBaseUrl: openai.baseUrl,
    openaiKey: OPENAI_KEY,
    company: BENCH_COMPANY,
  } satisfies FakeUpstreams,
);
