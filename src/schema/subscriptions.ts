import type { RunChannelMessage } from '../model/runRecord.ts';
import {
  resolveEngagementUpdated,
  subscribeEngagementsUpdated,
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
  engagementsUpdated: t.field({
    type: EngagementRun,
    description:
      'Every state of every run of the domain, as it is written, from now on (runs started by\n' +
      "anyone, and by webhooks): first the current state of the domain's newest run, if there\n" +
      'is one, then each new state of any of its runs, in order per run. Never completes by itself.',
    args: { domain: t.arg.string({ required: true }) },
    // Not a shared stream: its latest event is not always its current state (a state of an
    // older run can follow the newest run's, and a deleted newest run gives way to the next),
    // so each subscriber gets its own execution; they still share the domain's watch and each
    // state's execution per operation.
    subscribe: (_root, args, context) => subscribeEngagementsUpdated(args, context),
    // The domain's stream carries no deletions: every message is a run's state.
    resolve: (message: RunChannelMessage) => resolveEngagementUpdated(message),
  }),
}));
