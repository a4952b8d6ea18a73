import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { meetingFacts } from '../src/pipeline/meetingFacts.ts';
import { FileMeetingSource } from '../src/pipeline/meetingSource.ts';
import { ExtractiveSummarizer } from '../src/pipeline/summarizer/extractiveSummarizer.ts';
import type { Summarizer } from '../src/pipeline/summarizer/summarizer.ts';
import { verifiedInsightRecords } from '../src/pipeline/summaryRecords.ts';
import { buildEvalSet, countSet, readLabelsFile } from './evalSet.ts';
import { formatReport, TARGETS } from './report.ts';
import { type CompanyPrediction, scorePredictions } from './score.ts';

/**
 * `npm run eval`: runs the offline summariser over each company of the labelled set, the
 * way the pipeline calls it (the meetings file read as MEETINGS_FILE reads it, the
 * company's meetings picked by meetingFacts, its quotes verified), scores it, prints a table and writes
 * eval/results/latest.json. No Redis, no network.
 */

const here = new URL('./', import.meta.url);
const path = (name: string) => fileURLToPath(new URL(name, here));

async function main(): Promise<void> {
  const listed = await new FileMeetingSource(path('meetings.json')).listMeetings();
  const set = buildEvalSet(await readLabelsFile(path('labels.json')), listed);
  const summarizer: Summarizer = new ExtractiveSummarizer();
  const signal = new AbortController().signal;

  const predictions: CompanyPrediction[] = [];
  for (const { domain } of set.companies) {
    const { meetings } = meetingFacts(domain, listed);
    const insights = await summarizer.summarize({ domain, meetings }, signal);
    const { goals, challenges } = verifiedInsightRecords(insights, meetings);
    predictions.push({ domain, goals, challenges });
  }

  const score = scorePredictions(set, predictions);
  const counts = countSet(set);
  console.log(formatReport('extractive', listed.length, counts, score));

  await mkdir(path('results'), { recursive: true });
  const result = {
    summarizer: 'extractive',
    meetings: listed.length,
    set: counts,
    targets: TARGETS,
    score,
  };
  await writeFile(path('results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nWritten: eval/results/latest.json');
}

await main();
