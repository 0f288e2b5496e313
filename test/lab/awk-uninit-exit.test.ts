/**
 * awk's uninitialized value (both "" and 0: it compares as a number with a number) and `exit` in
 * BEGIN (END still runs), as gawk 3.1.7 (EL6) and POSIX awk have them. Expected outputs are real gawk's
 * (5.2 here, the same for these; also compared live in test/real/lab-shell.real.ts).
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab awk: unset variables and exit', () => {
  const n = world().nodes['an-node01'];
  it.each([
    ['awk \'/nomatch/{n++} END{if (n==0) print "none"}\' /etc/hosts', 'none\n', 0],
    [
      'awk \'BEGIN{if (x==0) print "a"; if (x=="") print "b"; if (x<1) print "c"; if (x=="0") print "d"; if (y[1]==0) print "e"; if (!x) print "f"}\'',
      'a\nb\nc\ne\nf\n',
      0,
    ],
    ['awk \'BEGIN{exit 1} END{print "end"}\'; echo $?', 'end\n1\n', 0],
    ['awk \'BEGIN{exit 3} END{print "end"; exit}\'; echo $?', 'end\n3\n', 0],
    ['awk \'BEGIN{exit 1} END{print "end"; exit 4}\'', 'end\n', 4],
    [
      'awk \'NR==2{exit 5} {print} END{print "end", NR}\' /etc/hosts',
      '127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\nend 2\n',
      5,
    ],
  ])('%s', async (cmd, want, code) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(want);
    expect(r.code).toBe(code);
  });
});
