import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useSharedSubscriptionExecution } from '../../src/http/plugins/useSharedSubscriptionExecution.ts';

describe('shared subscription execution', () => {
  it('executes an event once for all subscribers of the same operation', async () => {
    let resolved = 0;
    const events = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const schema = createSchema({
      typeDefs: `type Query { ok: Boolean }
        type Subscription { tick(label: String): Tick! }
        type Tick { n: Int! label: String }`,
      resolvers: {
        Subscription: {
          tick: {
            // Every subscriber sees the same event objects, as from the run channel.
            subscribe: async function* () {
              yield* events;
            },
            resolve: (event: object, args: { label?: string }) => ({ ...event, label: args.label }),
          },
        },
        Tick: {
          n: (tick: { n: number }) => {
            resolved++;
            return tick.n;
          },
        },
      },
    });
    const yoga = createYoga({ schema, plugins: [useSharedSubscriptionExecution()] });

    const collect = async (label: string) => {
      const { parse, subscribe, contextFactory } = yoga.getEnveloped({});
      const stream = (await subscribe({
        schema,
        document: parse('subscription ($label: String) { tick(label: $label) { n label } }'),
        variableValues: { label },
        contextValue: await contextFactory(),
      })) as AsyncIterable<{ data: { tick: { n: number; label: string } } }>;
      const seen: Array<{ n: number; label: string }> = [];
      for await (const result of stream) seen.push(result.data.tick);
      return seen;
    };

    const same = await Promise.all(Array.from({ length: 10 }, () => collect('a')));
    for (const seen of same) expect(seen).toEqual(events.map((e) => ({ ...e, label: 'a' })));
    expect(resolved).toBe(3);

    // Other variables are another operation: executed on their own, with their own result.
    expect(await collect('b')).toEqual(events.map((e) => ({ ...e, label: 'b' })));
    expect(resolved).toBe(6);
  });
});
