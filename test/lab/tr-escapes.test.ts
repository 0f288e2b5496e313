/**
 * tr's escapes (coreutils 8.4 tr.c unquote(): \r, \NNN octal...). Before, `tr -d '\r'` removed nothing.
 * Expected outputs are real tr's (also compared live in test/real/lab-shell.real.ts).
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab tr: escapes', () => {
  const n = world().nodes['an-node01'];
  it.each([
    ["printf 'on\\r\\n' | tr -d '\\r' | wc -c", '3\n'],
    ["printf 'a:b\\n' | tr ':' '\\011'", 'a\tb\n'],
    ["printf 'a\\tb\\n' | tr '\\t' ' '", 'a b\n'],
  ])('%s', async (cmd, want) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(want);
    expect(r.code).toBe(0);
  });
});
