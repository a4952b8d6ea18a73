import {
  deleteEngagement,
  deleteEngagements,
  startEngagementSummary,
} from '../resolvers/mutations.ts';
import { builder } from './builder.ts';
import { StartEngagementSummaryPayload } from './engagementRun.ts';

/** The Mutation root's fields, each wired to its resolver function. */
builder.mutationFields((t) => ({
  startEngagementSummary: t.field({
    type: StartEngagementSummaryPayload,
    args: { domain: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => startEngagementSummary(args, context),
  }),
  deleteEngagement: t.boolean({
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => deleteEngagement(args, context),
  }),
  deleteEngagements: t.int({
    description: 'Deletes every run of the domain; returns how many.',
    args: { domain: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => deleteEngagements(args, context),
  }),
}));
