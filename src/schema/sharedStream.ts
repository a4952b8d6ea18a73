/**
 * The field extension by which a subscription field declares that its stream is the same
 * for every subscriber of the same arguments (nothing in it depends on who asks) and that
 * its latest event stands for its current state. Transports may then serve identical
 * subscriptions of it from one execution.
 */
export const SHARED_STREAM_EXTENSION = 'sharedStream';
