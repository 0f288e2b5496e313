/**
 * The lab shell's integer arithmetic (`$(( ))`, bash 4.1 expr.c), `break`/`continue` (builtins/break.def)
 * and `umask` (builtins/umask.def). Expected outputs are real bash's (bash 5.2 here, the same as bash
 * 4.1 for these; also compared live in test/real/lab-shell.real.ts).
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('lab shell: arithmetic, loops, umask as bash', () => {
  const n = world().nodes['an-node01'];
  it.each([
    // integer arithmetic: the old JavaScript evaluation gave 7 (3.5*2) and threw on i++
    ['echo $((7/2*2)) $((10%3))', '6 1\n'],
    ['echo $((-7/2)) $((-7%3)) $((2**10)) $((1<2 && 3>4)) $((1<2 || 0)) $((5>3?1:2))', '-3 -1 1024 0 1 1\n'],
    ['echo $((010)) $((0x1f)) $((2#101)) $(( (1+2)*-3 )) $((!0)) $((~0))', '8 31 5 -9 1 -1\n'],
    ['echo $((x)) $((y+1)); x="1+2"; echo $((x*2))', '0 1\n6\n'],
    ['i=0; echo $((i++)) $((7/2*2)); echo $i', '0 6\n1\n'],
    ['x=3; echo $((x++)) $x $((x+=2)) $x $((++x)) $((x--)) $x', '3 4 6 6 7 7 6\n'],
    ['n=5; echo $(( n > 3 && n <= 5 )) $(( $n == 5 )) $(( ${n} != 5 ))', '1 1 0\n'],
    ['echo $((0 && 1/0)) $((1 || 1/0))', '0 1\n'],
    // break / continue
    ['for i in 1 2 3; do [ $i = 2 ] && break; echo $i; done', '1\n'],
    ['for i in 1 2 3; do [ $i = 2 ] && continue; echo $i; done', '1\n3\n'],
    ['n=0; while :; do n=$((n+1)); [ $n -ge 3 ] && break; done; echo $n', '3\n'],
    ['for i in 1 2; do for j in a b; do continue 2; echo no; done; echo no2; done; echo $i', '2\n'],
    ['for i in 1 2; do for j in a b; do break 2; done; echo no; done; echo $i$j', '1a\n'],
    ['for i in 1 2; do break 5; done; echo ok $i', 'ok 1\n'],
    ['printf "a\\nb\\nc\\n" | while read l; do [ $l = b ] && break; echo $l; done', 'a\n'],
    // umask
    ['umask; umask 077; umask; umask -S', '0022\n0077\nu=rwx,g=,o=\n'],
    ['umask 077; echo s > /root/u.txt; stat -c %a /root/u.txt; mkdir /root/ud; stat -c %a /root/ud', '600\n700\n'],
    ['umask 027; touch /root/t2; stat -c %a /root/t2', '640\n'],
  ])('%s', async (cmd, want) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(want);
    expect(r.code).toBe(0);
  });

  it.each([
    // bash: the error, and the rest of the line discarded with status 1; the next line runs
    ['echo $((1/0)); echo after', '', 'bash: 1/0: division by 0 (error token is "0")\n', 1],
    ['echo $((1/0+1))\necho next', 'next\n', 'bash: 1/0+1: division by 0 (error token is "0+1")\n', 0],
    ['echo $((1+))', '', 'bash: 1+: syntax error: operand expected (error token is "+")\n', 1],
    ['echo $((3 4))', '', 'bash: 3 4: syntax error in expression (error token is "4")\n', 1],
    ['echo $((1 @ 2))', '', 'bash: 1 @ 2: syntax error: invalid arithmetic operator (error token is "@ 2")\n', 1],
    ['echo $((08))', '', 'bash: 08: value too great for base (error token is "08")\n', 1],
    ['echo $((1?2))', '', 'bash: 1?2: `:\' expected for conditional expression (error token is "2")\n', 1],
    [
      'for i in 1 2; do echo $((1/0)); echo in; done; echo out',
      '',
      'bash: 1/0: division by 0 (error token is "0")\n',
      1,
    ],
    ['echo $(echo $((1/0)); echo in) out', 'out\n', 'bash: 1/0: division by 0 (error token is "0")\n', 0],
    ['break; echo $?', '0\n', "bash: break: only meaningful in a `for', `while', or `until' loop\n", 0],
    ['umask 089; echo $?', '1\n', 'bash: umask: 089: octal number out of range\n', 0],
    ['umask u=rwx; echo $?', '2\n', 'bash: umask: u=rwx: symbolic modes are not implemented by the lab\n', 0],
  ])('%j fails as bash does', async (cmd, out, err, code) => {
    const r = await run(n, cmd);
    expect(r.out).toBe(out);
    expect(r.err).toBe(err);
    expect(r.code).toBe(code);
  });
});
