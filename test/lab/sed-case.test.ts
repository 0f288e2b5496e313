/**
 * GNU sed's case conversions in `s///` replacements (`\L \U \E \l \u`; sed 4.2.1 on EL6 has them), as
 * the runbook's fstab one-liner uses them. Expected outputs are real GNU sed's (also compared live in
 * test/real/lab-shell.real.ts).
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab sed: case conversion in replacements', () => {
  const n = world().nodes['an-node01'];
  it.each([
    ["echo 253DA8EC-D945 | sed 's/.*/UUID=\\L&\\E \\/shared/'", 'UUID=253da8ec-d945 /shared\n'],
    ["echo AbC | sed 's/.*/\\L&/'", 'abc\n'],
    ["echo abc | sed 's/b/\\U&x\\Ey/'", 'aBXyc\n'],
    ["echo hello world | sed 's/\\(h\\)\\(.*\\)/\\u\\1\\2/'", 'Hello world\n'],
    ["echo ABC | sed 's/.*/\\l&/'", 'aBC\n'],
    ["echo abc | sed 's/.*/\\U\\l&/'", 'aBC\n'],
    ["echo 'x-y' | sed 's/\\(x\\)-\\(y\\)/\\U\\1\\L-\\2/'", 'X-y\n'],
  ])('%s', async (cmd, want) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(want);
    expect(r.code).toBe(0);
  });
});
