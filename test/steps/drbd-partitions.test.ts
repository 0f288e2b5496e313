import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan, type PlanNode } from '../../src/plan/derive.js';
import { FREE_START_KEY } from '../../src/engine/captured.js';
import { parsePartedHuman, toBytes } from '../../src/verify/parted.js';
import {
  drbdPartitions,
  partitionCommands,
  alignCommands,
  FREE_START,
  partitionNumber,
} from '../../steps/drbd-partitions.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';

const tutorial = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const other = derivePlan(
  loadAnswers('test/fixtures/other.anvil.yaml', { ILO_PW: 'ilo-secret', RICCI_PW: 'ricci-secret' }),
);
const task = drbdPartitions.tasks[0];

describe('partition commands in plan and runbook', () => {
  it("prints the tutorial's values when the free start is known", () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}), { freeStart: '47.5GB' });
    expect(partitionCommands(p)).toEqual([
      'parted -s -a optimal /dev/sda mkpart extended 47.5GB 100%',
      'parted -s -a optimal /dev/sda mkpart logical 47.5GB 67.5GB',
      'parted -s -a optimal /dev/sda mkpart logical 67.5GB 284GB',
      'parted -s -a optimal /dev/sda mkpart logical 284GB 100%',
    ]);
    expect(alignCommands(p)).toEqual([
      'parted -s /dev/sda align-check opt 5',
      'parted -s /dev/sda align-check opt 6',
      'parted -s /dev/sda align-check opt 7',
    ]);
  });

  it('prints a FREE_START placeholder and the rule while the free start is unknown', () => {
    const cmds = task.commands!(tutorial, tutorial.nodes[0]);
    expect(cmds[0]).toBe('parted -s /dev/sda unit GB print free');
    expect(cmds[1]).toMatch(/^# FREE_START = the Start of the largest "Free Space" row/);
    expect(cmds.slice(2, 6)).toEqual([
      `parted -s -a optimal /dev/sda mkpart extended ${FREE_START} 100%`,
      `parted -s -a optimal /dev/sda mkpart logical ${FREE_START} ${FREE_START}+20GB`,
      `parted -s -a optimal /dev/sda mkpart logical ${FREE_START}+20GB ${FREE_START}+236.5GB`,
      `parted -s -a optimal /dev/sda mkpart logical ${FREE_START}+236.5GB 100%`,
    ]);
    expect(cmds.at(-1)).toBe('reboot');
    expect(task.kind).toBe('once');
  });

  it("uses the second cluster's disk, free start and partition numbers", () => {
    expect(partitionCommands(other)).toEqual([
      'parted -s -a optimal /dev/vda mkpart extended 60GB 100%',
      'parted -s -a optimal /dev/vda mkpart logical 60GB 100GB',
      'parted -s -a optimal /dev/vda mkpart logical 100GB 400GB',
      'parted -s -a optimal /dev/vda mkpart logical 400GB 100%',
    ]);
    expect(() => partitionNumber('/dev/vda', '/dev/sda5')).toThrow('is not a partition of /dev/vda');
  });
});

// GNU parted for real, on a sparse 500G image laid out like an EL6 node (shared/validators/parted-layout.sh).
const haveParted = spawnSync('sh', ['-c', 'command -v parted'], { encoding: 'utf8' }).status === 0;
if (!haveParted) console.warn('SKIP real parted tests: parted not installed (apt-get install parted)');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function image(rootEnd = '45569MiB'): string {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-parted-'));
  dirs.push(dir);
  const img = join(dir, 'disk.img');
  const run = (args: string) => {
    const r = spawnSync('sh', ['-c', `parted -s -a optimal ${img} ${args}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  expect(spawnSync('truncate', ['-s', '500G', img]).status).toBe(0);
  run('mklabel msdos');
  run('mkpart primary ext4 1MiB 513MiB');
  run('set 1 boot on');
  run('mkpart primary linux-swap 513MiB 4609MiB');
  run(`mkpart primary ext4 4609MiB ${rootEnd}`);
  return img;
}

/** A node whose parted commands run for real against the image; the kernel sees the table after a "reboot". */
function imageNode(p: Plan, n: PlanNode, img: string) {
  const node = new FakeNode(n);
  let kernelTable = '';
  const table = () => spawnSync('sh', ['-c', `parted -s ${img} print`], { encoding: 'utf8' }).stdout;
  node.on(/^parted /, (cmd) => {
    const r = spawnSync('sh', ['-c', cmd.split(p.storage.disk).join(img)], { encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  });
  node.on('cat /proc/partitions', () => {
    const dev = p.storage.disk.replace('/dev/', '');
    const nums = parsePartedHuman(kernelTable)
      .rows.filter((r) => r.number !== undefined)
      .map((r) => r.number);
    return `major minor  #blocks  name\n\n   8        0  524288000 ${dev}\n${nums.map((k) => `   8        ${k}      1000 ${dev}${k}`).join('\n')}\n`;
  });
  let uptime = 1000;
  node.on('cat /proc/uptime', () => `${uptime}.00 ${uptime * 2}.00\n`);
  node.on(/^nohup sh -c "sleep \d+; reboot"/, () => {
    kernelTable = table();
    uptime = 1; // a fresh boot
    return '';
  });
  kernelTable = table();
  return node;
}

describe.skipIf(!haveParted)('creating the partitions with GNU parted on a 500G image', () => {
  for (const [label, p] of [
    ['tutorial', tutorial],
    ['second cluster', other],
  ] as const)
    it(`${label}: run creates aligned logical partitions, reboots once, and never repartitions`, async () => {
      const img = image();
      const n = p.nodes[0];
      const node = imageNode(p, n, img);
      const ctx = fakeContext(p, node, node);
      expect(await task.done!(ctx)).toBe(false);
      await task.run!(ctx);
      expect(node.reconnects).toBe(1);
      const ev = await task.verify!(ctx);
      expect(ev.summary).toMatch(/aligned$/);

      const t = parsePartedHuman(
        spawnSync('sh', ['-c', `parted -s ${img} unit B print free`], { encoding: 'utf8' }).stdout,
      );
      const nums = p.resources.map((r) => partitionNumber(p.storage.disk, r.partition));
      const rows = nums.map((k) => t.rows.find((r) => r.number === k)!);
      expect(rows.map((r) => r.type)).toEqual(['logical', 'logical', 'logical']);
      expect(t.rows.find((r) => r.type === 'extended')).toBeDefined();
      // each sized partition is its size (within parted's alignment), the last one runs to the disk's end
      p.resources.forEach((res, i) => {
        if (res.size !== 'rest') expect(Math.abs(toBytes(rows[i].size) - toBytes(res.size))).toBeLessThan(0.05e9);
      });
      expect(Math.abs(toBytes(rows[2].end) - toBytes(t.diskSize!))).toBeLessThan(0.1e9);
      const start = p === tutorial ? '47.8GB' : '60GB';
      expect(Math.abs(toBytes(rows[0].start) - toBytes(start))).toBeLessThan(0.2e9);
      if (p === tutorial) expect(ctx.store.get(FREE_START_KEY)).toBe('47.8GB');
      else expect(ctx.store.has(FREE_START_KEY)).toBe(false);
      for (const k of nums) expect(spawnSync('parted', ['-s', img, 'align-check', 'opt', String(k)]).status).toBe(0);

      // resume: the probe says done; a second run changes nothing and does not reboot
      expect(await task.done!(ctx)).toBe(true);
      const before = spawnSync('parted', ['-s', '-m', img, 'unit', 's', 'print'], { encoding: 'utf8' }).stdout;
      await task.run!(ctx);
      expect(spawnSync('parted', ['-s', '-m', img, 'unit', 's', 'print'], { encoding: 'utf8' }).stdout).toBe(before);
      expect(node.reconnects).toBe(1);
    });

  it('refuses nodes whose free space starts at different places (the plan has one start), changing nothing', async () => {
    const [a, b] = tutorial.nodes;
    const imgA = image();
    const imgB = image('50000MiB');
    const nodeA = imageNode(tutorial, a, imgA);
    const nodeB = imageNode(tutorial, b, imgB);
    const captured = new Map<string, unknown>();
    await task.run!(fakeContext(tutorial, nodeA, nodeB, { captured }));
    const before = spawnSync('parted', ['-s', '-m', imgB, 'unit', 's', 'print'], { encoding: 'utf8' }).stdout;
    await expect(task.run!(fakeContext(tutorial, nodeB, nodeA, { captured }))).rejects.toThrow(
      /an-node02: the free space of \/dev\/sda starts at 52\.4GB, on an-node01 at 47\.8GB/,
    );
    expect(spawnSync('parted', ['-s', '-m', imgB, 'unit', 's', 'print'], { encoding: 'utf8' }).stdout).toBe(before);
    expect(captured.get(FREE_START_KEY)).toBe('47.8GB');
  });

  it('refuses a partly partitioned disk and partition numbers parted would not give', async () => {
    const img = image();
    const n = tutorial.nodes[0];
    const node = imageNode(tutorial, n, img);
    spawnSync('sh', ['-c', `parted -s -a optimal ${img} mkpart extended 47.8GB 100% mkpart logical 47.8GB 60GB`]);
    await expect(task.run!(fakeContext(tutorial, node, node))).rejects.toThrow('already has partition 5 but not 6, 7');

    const img2 = image();
    const bad = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    bad.resources[0].partition = '/dev/sda6';
    bad.resources[1].partition = '/dev/sda7';
    bad.resources[2].partition = '/dev/sda8';
    const node2 = imageNode(bad, bad.nodes[0], img2);
    await expect(task.run!(fakeContext(bad, node2, node2))).rejects.toThrow(
      'parted will number the new logical partitions 5, 6, 7, but the answers name 6, 7, 8',
    );
  });
});

describe('the approval shows the boundaries read from the node', () => {
  it('preview: the free-space start read now fills every mkpart, never FREE_START', async () => {
    const before = readFileSync('test/fixtures/tutorial/outputs/parted-print-free-before.txt', 'utf8');
    const node = new FakeNode(tutorial.nodes[0]).on('parted -s /dev/sda unit GB print free', before);
    const cmds = await task.preview!(fakeContext(tutorial, node, node));
    expect(cmds.join('\n')).not.toContain(FREE_START);
    expect(cmds[0]).toMatch(/^# read now: the free space of \/dev\/sda starts at 47\.5GB/);
    expect(cmds.slice(1, 5)).toEqual([
      'parted -s -a optimal /dev/sda mkpart extended 47.5GB 100%',
      'parted -s -a optimal /dev/sda mkpart logical 47.5GB 67.5GB',
      'parted -s -a optimal /dev/sda mkpart logical 67.5GB 284GB',
      'parted -s -a optimal /dev/sda mkpart logical 284GB 100%',
    ]);
    // read-only: the print only
    expect(node.commands).toEqual(['parted -s /dev/sda unit GB print free']);
  });

  it('preview: a disk with no free space says the task will stop', async () => {
    const full = readFileSync('test/fixtures/tutorial/outputs/parted-print-free-before.txt', 'utf8')
      .split('\n')
      .filter((l) => !/Free Space/.test(l))
      .join('\n');
    const node = new FakeNode(tutorial.nodes[0]).on('parted -s /dev/sda unit GB print free', full);
    const cmds = await task.preview!(fakeContext(tutorial, node, node));
    expect(cmds.at(-1)).toBe('# no free space on /dev/sda: the task will stop here');
  });
});
