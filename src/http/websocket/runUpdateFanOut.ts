import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { AppServices, GraphQLContext } from '../../context.ts';
import { isDeletedNotice, isTerminal, type RunChannelMessage } from '../../model/runRecord.ts';
import { domainInput, parseInput, runIdInput } from '../../validation.ts';
import { maskResultErrors } from '../errorMasking.ts';
import { INTERPRETED_EXECUTIONS } from '../plugins/useCompiledExecution.ts';
import type { EngagementYoga } from '../yoga.ts';
import { streamError } from './envelopedOperations.ts';
import type { Subscriber } from './graphqlWsConnection.ts';

/** A document whose one operation is a plain `engagementUpdated` subscription. */
interface RunWatchOperation {
  key: number;
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  field: GraphQLField<unknown, unknown>;
  fieldNode: FieldNode;
  /** Resolves the operation's selection on one run state. */
  executeOn: ExecuteOnState;
}

type ExecuteOnState = (
  state: RunChannelMessage,
  contextValue: GraphQLContext,
  variableValues: Record<string, unknown>,
) => ExecutionResult | Promise<ExecutionResult>;

/** Distinct documents remembered; past it the memory starts over. */
const PREPARED_LIMIT = 1_000;

export interface RunUpdateFanOutDeps {
  yoga: EngagementYoga;
  services: AppServices;
  /** Where a subscription goes that this does not take, or that fails to start here. */
  fallback(subscriber: Subscriber): void;
  /** Told when a subscriber joins or leaves, for the open-subscriptions gauge. */
  onSubscriberChange(delta: 1 | -1): void;
}

/**
 * `engagementUpdated` over WebSocket with the work done once per run rather than once per
 * subscriber. Subscribers of the same run that sent the same document and variables share
 * one group: one watch of the run (one pub/sub subscription, one snapshot read), one
 * execution and one JSON serialisation per state; each socket only gets the framed text. A
 * subscriber who joins a live group gets the group's latest state at once, without touching
 * the store.
 *
 * Only the success path is taken here. A document that is anything else, arguments that do
 * not validate, or a run that cannot be watched go to the general path (`fallback`), which
 * answers them exactly as it answers every other operation. Like the shared execution for
 * SSE, this is sound only because resolving a run state does not depend on who asks.
 */
export class RunUpdateFanOut {
  /** Per distinct document: its watch, or null when it is anything else. */
  private readonly prepared = new Map<string, RunWatchOperation | null>();
  private readonly groups = new Map<string, FanOutGroup>();
  private nextKey = 1;

  constructor(private readonly deps: RunUpdateFanOutDeps) {}

  /** Takes the subscription if it is a watch this can serve; else hands it to the fallback. */
  start(subscriber: Subscriber): void {
    const watch = this.prepare(subscriber);
    const target = watch && this.target(watch, subscriber);
    if (!watch || !target) {
      this.deps.fallback(subscriber);
      return;
    }
    let group = this.groups.get(target.groupKey);
    if (!group) {
      group = new FanOutGroup(this.deps, watch, target, () => this.groups.delete(target.groupKey));
      this.groups.set(target.groupKey, group);
      group.add(subscriber);
      void group.run(subscriber);
    } else {
      group.add(subscriber);
    }
  }

  /** The watch a subscription's document is, or null (not a plain watch, or invalid). */
  private prepare(subscriber: Subscriber): RunWatchOperation | null {
    const { query, operationName } = subscriber.payload;
    const cacheKey = `${operationName ?? ''}\u0000${query}`;
    const known = this.prepared.get(cacheKey);
    if (known !== undefined) return known;
    // Parsed and validated through envelop once per distinct document, so the limits
    // (graphql-armor) and introspection rules apply as on every other path.
    const enveloped = this.deps.yoga.getEnveloped({
      principal: subscriber.principal,
      params: subscriber.payload,
    });
    let document: DocumentNode;
    try {
      document = enveloped.parse(query);
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
    } catch {
      return null; // the general path parses it again and reports the error to the client
    }
    const found = runWatchOperation(enveloped.schema, document, operationName);
    const watch = found && {
      ...found,
      key: this.nextKey++,
      executeOn: stateExecutor(found.schema, found.document, found.operation),
    };
    if (this.prepared.size >= PREPARED_LIMIT) this.prepared.clear();
    this.prepared.set(cacheKey, watch);
    return watch;
  }

  /** The run and the group a subscriber's variables select, or null when they are invalid. */
  private target(watch: RunWatchOperation, subscriber: Subscriber): GroupTarget | null {
    const variables = getVariableValues(
      watch.schema,
      watch.operation.variableDefinitions ?? [],
      subscriber.payload.variables ?? {},
    );
    if (variables.errors) return null;
    try {
      const args = getArgumentValues(watch.field, watch.fieldNode, variables.coerced);
      const domain = parseInput(domainInput, args.domain);
      const runId = parseInput(runIdInput, args.runId);
      const groupKey = `${domain}\u0000${runId}\u0000${watch.key}\u0000${JSON.stringify(variables.coerced)}`;
      return { domain, runId, variableValues: variables.coerced, groupKey };
    } catch {
      return null; // invalid arguments: the general path answers with their error
    }
  }
}

interface GroupTarget {
  domain: string;
  runId: string;
  variableValues: Record<string, unknown>;
  groupKey: string;
}

/** The subscribers of one run that share one operation. */
class FanOutGroup {
  private readonly subscribers = new Set<Subscriber>();
  /** The JSON of the last result sent, for subscribers who join later. */
  private latest: string | null = null;
  private events: AsyncIterator<RunChannelMessage> | null = null;
  private ended = false;

  constructor(
    private readonly deps: RunUpdateFanOutDeps,
    private readonly watch: RunWatchOperation,
    private readonly target: GroupTarget,
    private readonly onEnd: () => void,
  ) {}

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    this.deps.onSubscriberChange(1);
    subscriber.onCancel = () => this.remove(subscriber);
    if (this.latest !== null) subscriber.next(this.latest);
  }

  /** Watches the run and sends each state to every subscriber until the last one. */
  async run(first: Subscriber): Promise<void> {
    const { services } = this.deps;
    // A run state resolves alike for everyone; the context is the opening subscriber's.
    const contextValue: GraphQLContext = {
      ...services,
      principal: first.principal,
      transport: 'websocket',
    };
    try {
      this.events = await services.runs.watch(this.target.domain, this.target.runId, null);
    } catch {
      // NOT_FOUND, or the store unreachable: the general path answers each one as it would.
      this.end();
      for (const subscriber of this.takeAll()) this.deps.fallback(subscriber);
      return;
    }
    if (this.ended) {
      await this.events.return?.();
      return;
    }
    try {
      for (let step = await this.events.next(); !step.done; step = await this.events.next()) {
        const message = step.value;
        const result = await this.watch.executeOn(
          message,
          contextValue,
          this.target.variableValues,
        );
        const json = JSON.stringify(maskResultErrors(result));
        if (isDeletedNotice(message) || isTerminal(message)) {
          this.end();
          for (const subscriber of this.takeAll()) subscriber.last(json);
          return;
        }
        this.latest = json;
        for (const subscriber of this.subscribers) subscriber.next(json);
      }
    } catch (error) {
      this.end();
      const errors = JSON.stringify([streamError(error)]);
      for (const subscriber of this.takeAll()) subscriber.fail(errors);
      return;
    }
    // The stream ended without a terminal state (the run's watch was released).
    this.end();
    for (const subscriber of this.takeAll()) subscriber.complete();
  }

  private remove(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.deps.onSubscriberChange(-1);
    if (this.subscribers.size === 0 && !this.ended) {
      this.end();
      void this.events?.return?.();
    }
  }

  /** No one joins this group any more; a later subscriber starts a new one. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }

  private takeAll(): Subscriber[] {
    const all = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of all) {
      subscriber.onCancel = null;
      this.deps.onSubscriberChange(-1);
    }
    return all;
  }
}

/**
 * How each state of a run is resolved: by graphql-js at first, then, once the operation has
 * come back (INTERPRETED_EXECUTIONS), by the operation compiled by graphql-jit (a run
 * state's ~40 fields in about a fifth of the time), unless the compiler cannot take it. Not
 * Yoga's executor, which would take a subscription document for a new subscription; errors
 * are masked by the caller, as Yoga masks them.
 */
function stateExecutor(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): ExecuteOnState {
  const operationName = operation.name?.value;
  const interpret: ExecuteOnState = (state, contextValue, variableValues) =>
    execute({ schema, document, operationName, variableValues, rootValue: state, contextValue });
  let executions = 0;
  let current: ExecuteOnState = (state, contextValue, variableValues) => {
    if (++executions <= INTERPRETED_EXECUTIONS)
      return interpret(state, contextValue, variableValues);
    current = compiledExecutor(schema, document, operationName) ?? interpret;
    return current(state, contextValue, variableValues);
  };
  return (state, contextValue, variableValues) => current(state, contextValue, variableValues);
}

/** The operation compiled by graphql-jit, or null when the compiler refuses or fails on it. */
function compiledExecutor(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): ExecuteOnState | null {
  try {
    const compiled = compileQuery(schema, document, operationName);
    if (!isCompiledQuery(compiled)) return null;
    return (state, contextValue, variableValues) =>
      compiled.query(state, contextValue, variableValues);
  } catch {
    return null; // graphql-jit cannot compile it: the general path executes it instead
  }
}

/** The operation and its one root field, when the document is a plain run watch. */
function runWatchOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): Omit<RunWatchOperation, 'key' | 'executeOn'> | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription') return null;
  const [selection, ...others] = operation.selectionSet.selections;
  if (others.length > 0 || selection?.kind !== Kind.FIELD) return null;
  if (selection.name.value !== 'engagementUpdated' || selection.directives?.length) return null;
  const field = schema.getSubscriptionType()?.getFields().engagementUpdated;
  if (!field) return null;
  return { schema, document, operation, field, fieldNode: selection };
}
