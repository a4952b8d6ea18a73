/** One finished call to an upstream (Fathom, the LLM), for metrics and logs. */
export interface UpstreamCall {
  upstream: 'fathom' | 'llm';
  operation: string;
  /** `ok`, or what went wrong: an HTTP status class, `network`, `timeout`. */
  outcome: string;
  seconds: number;
}

export type UpstreamCallObserver = (call: UpstreamCall) => void;
