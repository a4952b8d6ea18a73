import { notFound } from '../errors.ts';
import { isDeletedNotice, type RunChannelMessage } from '../model/runRecord.ts';
import { builder } from '../schema/builder.ts';
import { EngagementRun } from '../schema/engagementRun.ts';
import { domainInput, parseInput, runIdInput } from '../validation.ts';

builder.subscriptionFields((t) => ({
  engagementUpdated: t.field({
    type: EngagementRun,
    description:
      "First the run's current state, then every new state as it is written, in order,\n" +
      'each with a higher version; completes right after a COMPLETE or ERROR state.',
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    subscribe: (_root, args, { runs, transport }) =>
      runs.watch(
        parseInput(domainInput, args.domain),
        parseInput(runIdInput, args.runId),
        transport,
      ),
    resolve: (message: RunChannelMessage) => {
      if (isDeletedNotice(message)) {
        throw notFound(`Run ${message.run_id} of ${message.domain} no longer exists.`);
      }
      return message;
    },
  }),
}));
