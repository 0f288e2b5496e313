/**
 * GNU sed's `{ }` blocks and the hold-space / next-line commands (n N h H g G x P, b and t without a
 * label), as sed 4.2.1 (EL6) runs them (sed/execute.c). Expected outputs are real GNU sed's (4.9 here,
 * the same for these; also compared live in test/real/lab-shell.real.ts). Before, the lab ignored the
 * braces (`/a/{s/1/X/}` changed every line) and took these commands as silent no-ops.
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab sed: blocks and hold space', () => {
  const n = world().nodes['an-node01'];
  it.each([
    ["printf 'a1\\nb1\\n' | sed '/a/{s/1/X/}'", 'aX\nb1\n'],
    ["printf 'abc\\nx\\ny\\nabc\\nz\\n' | sed '/abc/{n;d}'", 'abc\ny\nabc\n'],
    ["printf 'a\\nb\\nc\\n' | sed 'N;s/\\n/+/'", 'a+b\nc\n'],
    ["printf 'a\\nb\\nc\\n' | sed -n '1!G;h;$p'", 'c\nb\na\n'],
    ["printf 'a\\nb\\nc\\n' | sed '$!{h;d};x;G'", 'b\nc\n'],
    ["printf 'k=1\\nv=2\\n' | sed '/^k/!{s/=/:/;s/2/two/}'", 'k=1\nv:two\n'],
    ["printf 'a\\nb\\n' | sed -n '/a/{p;p}'", 'a\na\n'],
    ["printf 'a\\nb\\n' | sed '/a/{s/a/A/;b};s/$/!/'", 'A\nb!\n'],
    ["printf 'ab\\ncd\\n' | sed 's/a/X/;t;s/$/-/'", 'Xb\ncd-\n'],
    ["printf 'a\\nb\\n' | sed 'n'", 'a\nb\n'],
    ["printf 'a\\nb\\nc\\n' | sed 'n;d'", 'a\nc\n'],
    ["printf 'a\\nb\\nc' | sed '2{s/b/B/}'", 'a\nB\nc'],
  ])('%s', async (cmd, want) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(want);
    expect(r.code).toBe(0);
  });

  it.each([
    ["printf 'a\\n' | sed '/a/{s/a/b/'", "sed: -e expression #1, char 0: unmatched `{'\n"],
    ["printf 'a\\n' | sed 's/a/b/}'", "sed: -e expression #1, char 7: unexpected `}'\n"],
    // not implemented by the lab: refused, naming the command (real sed runs them)
    ["printf 'a\\n' | sed '$!N;P;D'", "sed: -e expression #1, char 7: the `D' command is not implemented by the lab\n"],
    [
      "printf 'x\\n' | sed ':a;s/x/y/;ta'",
      "sed: -e expression #1, char 1: the `:' command is not implemented by the lab\n",
    ],
  ])('%s is refused', async (cmd, err) => {
    const r = await run(n, cmd);
    expect(r.err).toBe(err);
    expect(r.out).toBe('');
    expect(r.code).toBe(1);
  });
});
