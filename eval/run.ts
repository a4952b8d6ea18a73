import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runMeetingQuotes } from '../src/pipeline/evidence/meetingQuotes.ts';
import { meetingFacts } from '../src/pipeline/meetingFacts.ts';
import { FileMeetingSource } from '../src/pipeline/meetingSource.ts';
import { ExtractiveSummarizer } from '../src/pipeline/summarizer/extractiveSummarizer.ts';
import type { Summarizer } from '../src/pipeline/summarizer/summarizer.ts';
import { verifiedInsightRecords } from '../src/pipeline/summaryRecords.ts';
import { buildEvalSet, countSet, type EvalSet, readLabelsFile } from './evalSet.ts';
import { formatPart, formatReport, TARGETS } from './report.ts';
import { type CompanyPrediction, type EvalScore, scorePredictions } from './score.ts';

/**
 * `npm run eval`: runs the offline summariser over each company of the labelled set, the
 * way the pipeline calls it (the meetings file read as MEETINGS_FILE reads it, the
 * company's meetings picked by meetingFacts, its quotes verified as the pipeline verifies
 * them), scores it, prints a table and writes
 * eval/results/latest.json. No Redis, no network.
 */

/**
 * The company kept out of tuning: the summariser's rules were written without reading its
 * meetings or labels, so its figures show how the rules hold on a company they never saw.
 */
const HELD_OUT = 'marlow-finch.com';

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
    // Scored by each insight's verified evidence, as the pipeline stores it.
    const quotes = runMeetingQuotes(meetings);
    const insights = await summarizer.summarize({ domain, meetings, quotes }, signal);
    const { goals, challenges } = verifiedInsightRecords(insights, quotes);
    predictions.push({ domain, goals, challenges });
  }

  const score = scorePredictions(set, predictions);
  const counts = countSet(set);
  console.log(formatReport('extractive', listed.length, counts, score));

  const tuningSet = onlyCompanies(set, (domain) => domain !== HELD_OUT);
  const heldOutSet = onlyCompanies(set, (domain) => domain === HELD_OUT);
  const byPart = {
    tuning: scorePredictions(
      tuningSet,
      predictions.filter((p) => p.domain !== HELD_OUT),
    ),
    heldOut: scorePredictions(
      heldOutSet,
      predictions.filter((p) => p.domain === HELD_OUT),
    ),
  };
  console.log(`\n${formatPart(`Tuning companies (all but ${HELD_OUT}):`, byPart.tuning)}`);
  console.log(
    `\n${formatPart(`Held-out company (${HELD_OUT}, not read while tuning):`, byPart.heldOut)}`,
  );

  await mkdir(path('results'), { recursive: true });
  const result = {
    summarizer: 'extractive',
    meetings: listed.length,
    set: counts,
    targets: TARGETS,
    score,
    heldOut: HELD_OUT,
    tuning: withoutPredictions(byPart.tuning),
    heldOutScore: withoutPredictions(byPart.heldOut),
  };
  await writeFile(path('results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nWritten: eval/results/latest.json');
}

/**
 * The set restricted to some companies: their groups and labels; every marked line stays, so
 * that a prediction quoting another company's line is still judged as such.
 */
function onlyCompanies(set: EvalSet, keep: (domain: string) => boolean): EvalSet {
  const groups = new Map([...set.groups].filter(([, group]) => keep(group.domain)));
  return {
    ...set,
    companies: set.companies.filter((company) => keep(company.domain)),
    groups,
    labels: set.labels.filter((label) => groups.has(label.group)),
  };
}

function withoutPredictions({
  predictions: _,
  ...rest
}: EvalScore): Omit<EvalScore, 'predictions'> {
  return rest;
}

await main();
