import { engagement, engagementStatus, engagements } from '../resolvers/queries.ts';
import { builder } from './builder.ts';
import { EngagementRun } from './engagementRun.ts';

/** The Query root's fields, each wired to its resolver function. */
builder.queryFields((t) => ({
  engagementStatus: t.field({
    type: [EngagementRun],
    description: 'The polling contract: [] when no such run, else a one-element list.',
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => engagementStatus(args, context),
  }),
  engagement: t.field({
    type: EngagementRun,
    nullable: true,
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => engagement(args, context),
  }),
  engagements: t.field({
    type: [EngagementRun],
    description: 'Runs of one domain, newest first.',
    args: {
      domain: t.arg.string({ required: true }),
      limit: t.arg.int({ defaultValue: 20 }),
    },
    resolve: (_root, args, context) => engagements(args, context),
  }),
}));
