/**
 * `dd` in the lab (issue 16 point 3): coreutils 8.4 `src/dd.c` print_stats() and dd_copy(), sizes by
 * gnulib human_readable(); the tutorial's use "dd if=/dev/zero of=/dev/sdaX bs=4M" (line 2551) really
 * destroys what was on the partition.
 */
import { describe, expect, it } from 'vitest';
import { run, world } from '../helpers.js';
import { initialised } from './setup.js';
import { humanBytes, humanRate, fmtG } from '../../../src/lab/storage/dd.js';

describe('dd (coreutils 8.4)', () => {
  it('human_readable() as print_stats() uses it: exact sizes with tenths under 10, rates one decimal up to 4 characters', () => {
    // values checked against GNU dd on this machine (its newer print_stats adds ", N MiB", same scaling)
    expect(humanBytes(3)).toBe('3 B');
    expect(humanBytes(512000)).toBe('512 kB');
    expect(humanBytes(1048576)).toBe('1.0 MB');
    expect(humanBytes(12582912)).toBe('13 MB');
    expect(humanBytes(4194304)).toBe('4.2 MB');
    expect(humanRate(66690)).toBe('66.7 kB');
    expect(humanRate(3.4e9)).toBe('3.4 GB');
    expect(humanRate(104857600)).toBe('105 MB');
    expect(fmtG(0.041943)).toBe('0.041943');
    expect(fmtG(4.4984e-5)).toBe('4.4984e-05');
    expect(fmtG(2.5)).toBe('2.5');
  });

  it('copies a file with bs/count/skip and prints "N+M records in/out" and the "bytes (...) copied, ... s, .../s" line on stderr', async () => {
    const w = world();
    const n = Object.values(w.nodes)[0];
    await run(n, 'printf abcdefghij > /root/src');
    const r = await run(n, 'dd if=/root/src of=/root/dst bs=4 skip=1 count=5');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^1\+1 records in\n1\+1 records out\n6 bytes \(6 B\) copied, [0-9.e-]+ s, [0-9.]+ [kMG]B\/s\n$/,
    );
    expect((await run(n, 'cat /root/dst')).out).toBe('efghij');
    // stdin to stdout, 1 byte singular
    const one = await run(n, 'dd bs=1 count=1', 'xyz');
    expect(one.out).toBe('x');
    expect(one.err).toMatch(/^1\+0 records in\n1\+0 records out\n1 byte \(1 B\) copied, /);
  });

  it('refuses what scanargs() refuses: "unrecognized operand `x\'" and "invalid number `4X\'", exit 1', async () => {
    const n = Object.values(world().nodes)[0];
    const a = await run(n, 'dd foo=bar');
    expect(a).toMatchObject({
      code: 1,
      err: "dd: unrecognized operand `foo=bar'\nTry `dd --help' for more information.\n",
    });
    const b = await run(n, 'dd if=/dev/zero of=/dev/null bs=4X count=1');
    expect(b).toMatchObject({ code: 1, err: "dd: invalid number `4X'\n" });
    const c = await run(n, 'dd if=/nonexistent of=/dev/null');
    expect(c).toMatchObject({ code: 1, err: "dd: opening `/nonexistent': No such file or directory\n" });
  });

  it('zeroing a DRBD backing partition as the tutorial says (2551): runs until ENOSPC, "writing `/dev/sda5\': No space left on device", exit 1; the metadata is gone', async () => {
    const { n1 } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    const size = Number((await run(n1, 'awk \'$4=="sda5" {print $3}\' /proc/partitions')).out) * 1024;
    const t0 = n1.world.now();
    const r = await run(n1, 'dd if=/dev/zero of=/dev/sda5 bs=4M');
    const full = Math.floor(size / 4194304);
    const partial = size % 4194304 ? 1 : 0;
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines[0]).toBe("dd: writing `/dev/sda5': No space left on device");
    // the block that did not fit was read whole from /dev/zero, so it counts in "records in" but not out
    expect(partial).toBe(1);
    expect(lines[1]).toBe(`${full + 1}+0 records in`);
    expect(lines[2]).toBe(`${full}+0 records out`);
    expect(lines[3]).toMatch(new RegExp(`^${size} bytes \\(\\d+(\\.\\d)? [kMG]B\\) copied, [0-9.e+]+ s, 100 MB/s$`));
    // it took lab time at the lab's disk rate
    expect(n1.world.now() - t0).toBeGreaterThanOrEqual(Math.floor((size / 100e6) * 1000));
    const md = await run(n1, 'drbdadm dump-md r0');
    expect(md.code).not.toBe(0);
  });

  it('refuses loudly what it cannot follow: an attached DRBD backing device, the OS partitions, a whole disk', async () => {
    const { n1, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await ok(n1, 'modprobe drbd && drbdadm attach r0');
    for (const dev of ['/dev/sda5', '/dev/sda2', '/dev/sda']) {
      const r = await run(n1, `dd if=/dev/zero of=${dev} bs=4M count=1`);
      expect(r.code).toBe(1);
      expect(r.err).toContain('is not simulated by the lab');
    }
  });
});
