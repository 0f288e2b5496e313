/**
 * The installer's clock. Every wait of the install (polls, post_join_delay, bond updelay, reboots)
 * reads the time and sleeps through this clock: the real one on real nodes, the lab's on the lab, so
 * a rehearsal passes the tutorial's minutes of waiting in seconds of wall time. The transport's
 * timeouts stay on the real clock (they measure the network, not the tutorial); its waits between
 * reconnect attempts follow the lab's clock on the lab (NodeSessionOptions.clock).
 */
import { perf } from './perf.js';

/** A clock the waits follow. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Let `ms` milliseconds pass. */
  sleep(ms: number): Promise<void>;
}

/** Sleep on the wall clock, whatever clock the install follows. */
export function realSleep(ms: number): Promise<void> {
  perf.realWaits++;
  perf.realWaitMs += ms;
  return new Promise((r) => setTimeout(r, ms));
}

/** The wall clock. */
export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: realSleep };

let current: Clock = REAL_CLOCK;

/** The clock waits follow now. */
export function clock(): Clock {
  return current;
}

/** Follow `c` until the returned function is called (which restores the previous clock). */
export function useClock(c: Clock): () => void {
  const prev = current;
  current = c;
  return () => {
    if (current === c) current = prev;
  };
}

/**
 * A clock for read-only work (`check`, `install --check`): it reads the time of `base` but its waits
 * let no time pass there. A poll in a verify then sees the nodes as they are now and gives up at once
 * (its deadline passes on this clock only), instead of advancing the lab's clock, whose timers would
 * change the world (a fence after post_join_delay, a finished resync).
 */
export function readOnlyClock(base: Clock): Clock {
  let passed = 0;
  return {
    now: () => base.now() + passed,
    async sleep(ms) {
      passed += Math.max(0, ms);
      // NOTE: a turn of the event loop, so a loop of polls still lets replies arrive.
      await new Promise((r) => setImmediate(r));
    },
  };
}
