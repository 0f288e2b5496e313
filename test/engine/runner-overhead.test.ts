import { describe, expect, it } from 'vitest';
import { measureRunnerOverhead } from '../../src/engine/runner-overhead.js';

describe('measureRunnerOverhead', () => {
  it('runs n no-op tasks through the real runner and reports per-task and total time', async () => {
    const r = await measureRunnerOverhead(20);
    expect(Number.isFinite(r.totalMs)).toBe(true);
    expect(r.totalMs).toBeGreaterThan(0);
    expect(r.perTaskMs).toBeCloseTo(r.totalMs / 20, 6);
  });
});
