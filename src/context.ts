import type { Principal } from './auth.ts';
import type { SubscriptionTransport } from './metrics.ts';
import type { EngagementRuns } from './runs/engagementRuns.ts';

/** Services every resolver gets, built once in the composition root. */
export interface AppServices {
  runs: EngagementRuns;
  /** Resolves when `principal` may start another run now; rejects with RATE_LIMITED. */
  admitStart(principal: Principal): Promise<void>;
}

/** The GraphQL context of one operation: the services plus who is asking. */
export interface GraphQLContext extends AppServices {
  principal: Principal;
  /** How this operation arrived, for the open-subscriptions gauge. */
  transport: SubscriptionTransport;
}
