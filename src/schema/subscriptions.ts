import type { RunChannelMessage } from '../model/runRecord.ts';
import {
  resolveEngagementUpdated,
  subscribeEngagementUpdated,
} from '../resolvers/subscriptions.ts';
import { builder } from './builder.ts';
import { EngagementRun } from './engagementRun.ts';
import { SHARED_STREAM_EXTENSION } from './sharedStream.ts';

/** The Subscription root's fields, each wired to its subscribe and resolve functions. */
builder.subscriptionFields((t) => ({
  engagementUpdated: t.field({
    type: EngagementRun,
    description:
      "First the run's current state, then every new state as it is written, in order,\n" +
      'each with a higher version; completes right after a COMPLETE or ERROR state.',
    args: { domain: t.arg.string({ required: true }), runId: t.arg.id({ required: true }) },
    // A run's states are the same for everyone, and the latest is its current state.
    extensions: { [SHARED_STREAM_EXTENSION]: true },
    subscribe: (_root, args, context) => subscribeEngagementUpdated(args, context),
    resolve: (message: RunChannelMessage) => resolveEngagementUpdated(message),
  }),
}));
