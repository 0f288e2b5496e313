import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { StateStore, readState } from '../../src/state/store.js';

describe('checkpoint coalescing', () => {
  it('coalesces saves within the interval, writes urgent saves at once, and flushes on close', () => {
    const dir = tempDir('anvil-coalesce-');
    const store = StateStore.open(dir, { create: true });
    store.minIntervalMs = 60_000;
    store.state.captured.a = 0;
    store.save(); // nothing written yet by this store: goes to disk now
    expect(readState(dir)!.captured.a).toBe(0);
    store.state.captured.a = 1;
    store.save(); // within the interval: deferred
    expect(readState(dir)!.captured.a).toBe(0);
    store.state.captured.a = 2;
    store.save(true);
    expect(readState(dir)!.captured.a).toBe(2);
    store.state.captured.a = 3;
    store.save();
    expect(readState(dir)!.captured.a).toBe(2);
    store.close();
    expect(readState(dir)!.captured.a).toBe(3);
  });
});
