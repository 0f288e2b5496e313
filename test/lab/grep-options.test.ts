/**
 * The lab's grep refuses an option it does not implement, as GNU grep 2.6.3 (EL6) refuses an unknown
 * one: glibc getopt's message, grep's usage, exit 2 (real grep 3.8: the same exit code, compared live in
 * test/real/lab-shell.real.ts). Before, `grep --nonsense root /etc/passwd` matched and exited 0.
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab grep: unknown options', () => {
  const n = world().nodes['an-node01'];
  it.each([
    ['grep --nonsense root /etc/passwd', "grep: unrecognized option '--nonsense'\n"],
    ['grep -k root /etc/passwd', "grep: invalid option -- 'k'\n"],
    ['grep -qj root /etc/passwd', "grep: invalid option -- 'j'\n"],
  ])('%s', async (cmd, first) => {
    const r = await run(n, cmd);
    expect(r.out).toBe('');
    expect(r.err).toBe(first + "Usage: grep [OPTION]... PATTERN [FILE]...\nTry `grep --help' for more information.\n");
    expect(r.code).toBe(2);
  });
  it('an option of GNU grep the lab lacks is refused by name', async () => {
    const r = await run(n, 'grep -qP root /etc/passwd');
    expect(r.err).toBe('grep: -P: this option of GNU grep is not implemented by the lab\n');
    expect(r.code).toBe(2);
  });
  it('known options still work', async () => {
    const r = await run(n, 'grep -c -E -e ^root -i --invert-match /etc/passwd >/dev/null; grep -qs root /etc/passwd');
    expect(r.code).toBe(0);
  });
});
