import { builder } from '../schema/builder.ts';
import { EngagementRun } from '../schema/engagementRun.ts';
import { domainInput, listLimitInput, parseInput, runIdInput } from '../validation.ts';

builder.queryFields((t) => ({
  engagementStatus: t.field({
    type: [EngagementRun],
    description: 'The polling contract: [] when no such run, else a one-element list.',
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: async (_root, args, { runs }) => {
      const run = await runs.get(
        parseInput(domainInput, args.domain),
        parseInput(runIdInput, args.runId),
      );
      return run ? [run] : [];
    },
  }),
  engagement: t.field({
    type: EngagementRun,
    nullable: true,
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: (_root, args, { runs }) =>
      runs.get(parseInput(domainInput, args.domain), parseInput(runIdInput, args.runId)),
  }),
  engagements: t.field({
    type: [EngagementRun],
    description: 'Runs of one domain, newest first.',
    args: {
      domain: t.arg.string({ required: true }),
      limit: t.arg.int({ defaultValue: 20 }),
    },
    resolve: (_root, args, { runs }) =>
      runs.list(parseInput(domainInput, args.domain), parseInput(listLimitInput, args.limit ?? 20)),
  }),
}));
