/**
 * A clock for unit tests of steps that wait: time moves only when the code under test sleeps, and a
 * sleep returns at once. Install it with `useVirtualClock()` in a `beforeEach` and restore it after.
 */
import { afterEach, beforeEach } from 'vitest';
import { useClock, type Clock } from '../../src/util/clock.js';

/** A clock whose `sleep` advances its own time and yields once. */
export function virtualClock(start = Date.UTC(2013, 11, 13, 12, 0, 0)): Clock & { slept: number } {
  let t = start;
  const c = {
    slept: 0,
    now: () => t,
    async sleep(ms: number) {
      t += ms;
      c.slept += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

/** Use a fresh virtual clock around every test of the calling file. */
export function useVirtualClock(): void {
  let restore = () => {};
  beforeEach(() => {
    restore = useClock(virtualClock());
  });
  afterEach(() => restore());
}
