import { clock } from './clock.js';

/**
 * Wait `ms` milliseconds on the install's clock (pauses between probes; never as synchronisation in
 * tests). On the lab this is lab time.
 */
export function sleep(ms: number): Promise<void> {
  return clock().sleep(ms);
}
