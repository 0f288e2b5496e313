import { describe, expect, it } from 'vitest';
import { measureRunnerOverhead } from '../../src/engine/runner-overhead.js';

describe('measureRunnerOverhead', () => {
  it('runs n no-op tasks through the real runner and reports per-task and total time', async () => {
    const r = await measureRunnerOverhead(20);
    expect(Number.isFinite(r.totalMs)).toBe(true);
    expect(r.totalMs).toBeGreaterThan(0);
    expect(r.perTaskMs).toBeCloseTo(r.totalMs / 20, 6);
  });

  it('counts the checkpoint writes apart: one durable write before each task touches its node, and a few more', async () => {
    const r = await measureRunnerOverhead(20);
    expect(r.checkpointWrites).toBeGreaterThanOrEqual(20);
    expect(r.checkpointWrites).toBeLessThanOrEqual(25);
    expect(r.checkpointMs).toBeGreaterThan(0);
    expect(r.checkpointMs).toBeLessThan(r.totalMs);
  });
});
