import { builder } from '../schema/builder.ts';
import { StartEngagementSummaryPayload } from '../schema/engagementRun.ts';
import { domainInput, parseInput, runIdInput } from '../validation.ts';

builder.mutationFields((t) => ({
  startEngagementSummary: t.field({
    type: StartEngagementSummaryPayload,
    args: { domain: t.arg.string({ required: true }) },
    resolve: async (_root, args, { runs, admitStart, principal }) => {
      const domain = parseInput(domainInput, args.domain);
      await admitStart(principal);
      const run = await runs.start(domain);
      return { ok: true as const, run };
    },
  }),
  deleteEngagement: t.boolean({
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: (_root, args, { runs }) =>
      runs.delete(parseInput(domainInput, args.domain), parseInput(runIdInput, args.runId)),
  }),
  deleteEngagements: t.int({
    description: 'Deletes every run of the domain; returns how many.',
    args: { domain: t.arg.string({ required: true }) },
    resolve: (_root, args, { runs }) => runs.deleteAll(parseInput(domainInput, args.domain)),
  }),
}));
