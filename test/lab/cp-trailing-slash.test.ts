/**
 * cp to `NAME/` where NAME is not a directory fails (coreutils 8.4 copy.c, open(2) ENOTDIR); before,
 * the lab created a file NAME. Real cp's exit code is compared live in test/real/lab-shell.real.ts.
 */
import { expect, it } from 'vitest';
import { run, world } from './helpers.js';

it('cp /etc/hosts /root/nodir/ fails and creates nothing', async () => {
  const n = world().nodes['an-node01'];
  const r = await run(n, 'cp /etc/hosts /root/nodir/; echo $?; test -e /root/nodir; echo $?');
  expect(r.out).toBe('1\n1\n');
  expect(r.err).toBe("cp: cannot create regular file `/root/nodir/': Not a directory\n");
});
