import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ExpiringValues } from '../../kv/expiringValues.ts';
import type { Insights } from './summarizer.ts';

/**
 * The LLM's findings kept between runs, so that a run pays only for what changed:
 *
 * - per meeting: the goals and challenges one meeting's material gave, each with that
 *   meeting's quotes, under a key made of the meeting's material as the LLM reads it and the
 *   scope (model, prompts, answer schema): a change to any of them is a new key, so stale
 *   findings are never read, they expire unused;
 * - per company: the findings merged over a set of meetings, under the set of their keys,
 *   and which set was merged last, so that a run with one meeting more merges the earlier
 *   result with that meeting's findings instead of every meeting's again.
 *
 * Kept values are read back through a schema; one that does not parse counts as absent.
 */

/** Bump when what is kept changes meaning (how findings are split per meeting, say). */
const FORMAT_VERSION = 1;

const insightSchema = z.object({
  text: z.string(),
  quotes: z.array(z.object({ meetingId: z.string(), quote: z.string() })),
});
const insightsSchema = z.object({
  goals: z.array(insightSchema),
  challenges: z.array(insightSchema),
});
const mergedSchema = z.object({ meetingKeys: z.array(z.string()), findings: insightsSchema });

/** Findings merged over some of the company's meetings, and which (by their keys). */
export interface MergedFindings {
  meetingKeys: string[];
  findings: Insights;
}

export class KeptFindings {
  constructor(private readonly values: ExpiringValues) {}

  /**
   * The key of everything that shapes the answers for one company: give it every prompt
   * and setting sent with the requests (the prompts name the company).
   */
  scope(model: string, ...promptParts: string[]): string {
    return digest([String(FORMAT_VERSION), model, ...promptParts]);
  }

  /** The key of one meeting's findings within a scope: its material exactly as the LLM reads it. */
  meetingKey(scope: string, material: string): string {
    return digest([scope, material]);
  }

  /** Kept findings of these meetings (by key); a meeting without any kept is absent. */
  async ofMeetings(keys: readonly string[]): Promise<Map<string, Insights>> {
    const values = await this.values.getMany(keys.map((key) => `meeting:${key}`));
    const found = new Map<string, Insights>();
    keys.forEach((key, i) => {
      const findings = parsed(insightsSchema, values[i]);
      if (findings) found.set(key, findings);
    });
    return found;
  }

  /** Renews the kept findings of these meetings without reading them. */
  async renewMeetings(keys: readonly string[]): Promise<void> {
    await this.values.renew(keys.map((key) => `meeting:${key}`));
  }

  async keepOfMeetings(entries: ReadonlyArray<{ key: string; findings: Insights }>): Promise<void> {
    await this.values.setMany(
      entries.map(({ key, findings }) => ({
        key: `meeting:${key}`,
        value: JSON.stringify(findings),
      })),
    );
  }

  /**
   * The company's merged findings that can be built on: those of exactly these meetings when
   * kept, else the last merged set if every meeting of it is among these (unchanged, since a
   * key is its content), else none.
   */
  async merged(scope: string, meetingKeys: readonly string[]): Promise<MergedFindings | undefined> {
    const [exact, latest] = await this.values.getMany([
      `merged:${setKey(scope, meetingKeys)}`,
      `latest:${scope}`,
    ]);
    const exactFindings = parsed(mergedSchema, exact);
    if (exactFindings) return exactFindings;
    if (latest === undefined) return undefined;
    const [previous] = await this.values.getMany([`merged:${latest}`]);
    const base = parsed(mergedSchema, previous);
    const current = new Set(meetingKeys);
    return base?.meetingKeys.every((key) => current.has(key)) ? base : undefined;
  }

  async keepMerged(scope: string, merged: MergedFindings): Promise<void> {
    const set = setKey(scope, merged.meetingKeys);
    await this.values.setMany([
      { key: `merged:${set}`, value: JSON.stringify(merged) },
      { key: `latest:${scope}`, value: set },
    ]);
  }
}

/**
 * Each meeting's share of the answers of the requests its material went in (a meeting split
 * into parts may be in several): the insights citing it, with its quotes only. A meeting that
 * gave nothing gets an empty share: that too is a finding, and spares asking again.
 */
export function meetingShares(
  meetingIds: readonly string[],
  requests: ReadonlyArray<{ meetingIds: readonly string[]; answer: Insights }>,
): Map<string, Insights> {
  const shares = new Map<string, Insights>(
    meetingIds.map((id) => [id, { goals: [], challenges: [] }]),
  );
  for (const { meetingIds: inRequest, answer } of requests) {
    const asked = [...new Set(inRequest)];
    for (const list of ['goals', 'challenges'] as const) {
      for (const insight of answer[list]) {
        const cited = [...new Set(insight.quotes.map((q) => q.meetingId))].filter((id) =>
          asked.includes(id),
        );
        // One that names no meeting of its request stays with the request's first meeting,
        // so that the pipeline's check drops and counts it on every run alike.
        if (cited.length === 0) {
          shares.get(asked[0] as string)?.[list].push(insight);
          continue;
        }
        for (const id of cited) {
          shares.get(id)?.[list].push({
            text: insight.text,
            quotes: insight.quotes.filter((q) => q.meetingId === id),
          });
        }
      }
    }
  }
  return shares;
}

function setKey(scope: string, meetingKeys: readonly string[]): string {
  return digest([scope, ...[...meetingKeys].sort()]);
}

function digest(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('base64url');
}

function parsed<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  try {
    const result = schema.safeParse(JSON.parse(value));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
