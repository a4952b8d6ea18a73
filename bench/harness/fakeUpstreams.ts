/**
 * Child entry: the loopback fakes of Fathom and OpenAI (support/fakes), in a process of their
 * own so that the service's memory and CPU are measured without them. Fathom holds a
 * company's recorded meetings (and other companies' and internal ones around them).
 */
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, internalMeeting } from '../../support/fakes/fathomFixtures.ts';
import { serveCalls } from './processes.ts';

const BENCH_COMPANY = 'northwind-bench.com';
const FATHOM_KEY = 'fathom-test-key';
const OPENAI_KEY = 'openai-test-key';

const person = (name: string, domain: string) => ({
  name,
  email: `${name.toLowerCase()}@${domain}`,
});

const fathom = await startFakeFathom({
  apiKey: FATHOM_KEY,
  meetings: [
    ...buildMeetings({
      companies: [
        {
          domain: BENCH_COMPANY,
          people: [person('Ada', BENCH_COMPANY), person('Lin', BENCH_COMPANY)],
        },
        { domain: 'other-bench.com', people: [person('Sam', 'other-bench.com')] },
      ],
      meetingsPerCompany: 12,
    }),
    internalMeeting(900001),
  ],
});
const openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });

process.once('SIGTERM', () => {
  void Promise.all([fathom.close(), openai.close()]).finally(() => process.exit(0));
});

serveCalls(
  { chatRequests: () => openai.requests.length, fathomRequests: () => fathom.requests.length },
  {
    fathomBaseUrl: fathom.baseUrl,
    fathomKey: FATHOM_KEY,
    openaiBaseUrl: openai.baseUrl,
    openaiKey: OPENAI_KEY,
    company: BENCH_COMPANY,
  },
);
