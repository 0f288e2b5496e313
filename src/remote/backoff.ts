/** Capped exponential backoff for reconnect loops. */

/** Backoff settings (milliseconds). */
export interface BackoffOptions {
  /** First wait after a failed attempt. Default 250. */
  initialMs?: number;
  /** Upper bound for one wait. Default 5000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
}

/** The successive waits: initial, initial*factor, ... capped at maxMs (no jitter: two nodes, not a herd). */
export function* backoffDelays(o: BackoffOptions = {}): Generator<number, never> {
  const max = o.maxMs ?? 5000;
  const factor = o.factor ?? 2;
  let d = Math.min(o.initialMs ?? 250, max);
  for (;;) {
    yield d;
    d = Math.min(d * factor, max);
  }
}

export { realSleep as sleep } from '../util/clock.js';
