/**
 * `ls -l`: a directory's link count is 2 + its subdirectories, and under -h the total is in the
 * sizes' units (coreutils 8.4 ls.c print_long_format prints st_nlink; the total goes through
 * human_readable()). The tutorial's own `ls -lah /shared/` shows both (`total 24K`, `6` links for
 * four subdirectories). Found by test/real/lab-shell.real.ts on the install's own `ls -lah /shared/`.
 */
import { expect, it } from 'vitest';
import { run, world } from './helpers.js';

it('ls -lah: 2 + subdirectories links, total in K', async () => {
  const n = world().nodes['an-node01'];
  const r = await run(n, 'mkdir -p /root/d/a /root/d/b /root/d/c && touch /root/d/f && ls -lah /root/d');
  const lines = r.out.split('\n');
  expect(lines[0]).toBe('total 20K');
  expect(lines[1]).toMatch(/^drwxr-xr-x\. 5 root root 4\.0K .* \.$/);
  expect(lines.find((l) => l.endsWith(' a'))).toMatch(/^drwxr-xr-x\. 2 /);
  expect(lines.find((l) => l.endsWith(' f'))).toMatch(/^-rw-r--r--\. 1 /);
  expect((await run(n, 'ls -la /root/d')).out.split('\n')[0]).toBe('total 20');
});
