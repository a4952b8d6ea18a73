import type { ExecutionResult } from 'graphql';

/**
 * The JSON of each result sent, serialised once however many sockets it goes to. A
 * subscription event is executed once per distinct operation (useSharedSubscriptionExecution),
 * so every subscriber of that operation is handed the same result object; it is serialised
 * for the first and the text reused for the others, each socket only framing it. Held
 * weakly: the text lives as long as the result does.
 */
export class SerialisedResults {
  private readonly json = new WeakMap<ExecutionResult, string>();

  of(result: ExecutionResult): string {
    let text = this.json.get(result);
    if (text === undefined) {
      text = JSON.stringify(result);
      this.json.set(result, text);
    }
    return text;
  }
}
