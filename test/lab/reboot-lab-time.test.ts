import { afterEach, describe, expect, it, vi } from 'vitest';
import { run, world } from './helpers.js';

// Issue 18 / review L5: a lab reboot must not wait on the wall clock. The wall-clock timers are faked
// and never advanced: a reboot that needed one would never boot.
describe('lab reboot follows lab time only', () => {
  afterEach(() => vi.useRealTimers());

  it('boots again with no real-time timer, at the lab instant it went down', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'Date'] });
    const w = world();
    const n = w.nodes['an-node01'];
    await n.settle();
    const down = w.now();
    expect((await run(n, 'reboot')).code).toBe(255);
    expect(n.power).toBe('off');
    // NOTE: a bound in event-loop turns (not time): the old 20 ms setTimeout never fires here.
    let turns = 0;
    const bound = async () => {
      while (turns++ < 50) await new Promise((r) => setImmediate(r));
      return 'still down';
    };
    expect(await Promise.race([n.settle().then(() => 'booted'), bound()])).toBe('booted');
    expect(n.running).toBe(true);
    expect(n.bootTime).toBe(down);
    expect((await run(n, 'cat /proc/uptime')).out).toBe('0.00 0.00\n');
    expect((await run(n, "grep -c 'kernel: Linux version' /var/log/messages")).out).toBe('2\n');
  });
});
