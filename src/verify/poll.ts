/**
 * Re-read state until it looks right: DRBD connecting, a peer joining, an LV appearing on the
 * other node take a moment after the command that caused them returns.
 */
import { sleep } from '../util/sleep.js';

/** Defaults for `poll`; tests may set `intervalMs` to 0. */
export const pollDefaults = { tries: 30, intervalMs: 2000 };

/** Call `probe` until `ok(result)` or the tries run out; returns the last result either way. */
export async function poll<T>(
  probe: () => Promise<T>,
  ok: (t: T) => boolean,
  opts: { tries?: number; intervalMs?: number } = {},
): Promise<T> {
  const tries = Math.max(1, opts.tries ?? pollDefaults.tries);
  const interval = opts.intervalMs ?? pollDefaults.intervalMs;
  let last = await probe();
  for (let i = 1; i < tries && !ok(last); i++) {
    if (interval > 0) await sleep(interval);
    last = await probe();
  }
  return last;
}
