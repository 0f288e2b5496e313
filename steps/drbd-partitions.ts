/**
 * Creating the DRBD partitions: one extended partition over the disk's free space, then one
 * logical partition per DRBD resource, optimally aligned (parted -a optimal), then a reboot so the
 * kernel sees the new table. Destructive: runs once per node, never over existing partitions.
 */
import type { Step, TaskContext } from '../src/engine/types.js';
import type { Plan, PlanResource } from '../src/plan/derive.js';
import { partitionBounds } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { FREE_START_KEY, freeStartKey } from '../src/engine/captured.js';
import { largestFree, parsePartedHuman, partitionNumbers, toBytes, type PartedTable } from '../src/verify/parted.js';
import { rebootAndWait } from './reboot.js';

/** The placeholder the plan and the runbook print while the free-space start is not known. */
export const FREE_START = 'FREE_START';

/** The partition number of `/dev/sda5` on `/dev/sda` (5); throws when it is not a partition of the disk. */
export function partitionNumber(disk: string, partition: string): number {
  const m = /^(\d+)$/.exec(partition.startsWith(disk) ? partition.slice(disk.length) : '');
  if (!m)
    throw new AnvilError(
      `${partition} is not a partition of ${disk}`,
      'storage.resources[].partition must be a partition of storage.disk, e.g. /dev/sda5 on /dev/sda',
    );
  return Number(m[1]);
}

/** The parted unit the resource sizes are written in (`GB` for `20GB`); positions are printed in it. */
export function sizeUnit(p: Plan): string {
  const sized = p.resources.find((r) => r.size !== 'rest');
  return sized ? /[A-Za-z%]+$/.exec(sized.size)![0] : 'GB';
}

/** The print command whose `Free Space` rows give the free-space start, in the sizes' unit. */
export function printFreeCommand(p: Plan): string {
  return `parted -s ${q(p.storage.disk)} unit ${sizeUnit(p)} print free`;
}

/** Start/end of each logical partition, symbolic (`FREE_START+20GB`) where the free start is unknown. */
export function boundsOrSymbolic(p: Plan, freeStart?: string): { r: PlanResource; start: string; end: string }[] {
  const known = freeStart ? partitionBounds(p.resources, freeStart) : p.resources;
  if (known.every((r) => r.start && r.end)) return known.map((r) => ({ r, start: r.start!, end: r.end! }));
  const out: { r: PlanResource; start: string; end: string }[] = [];
  const added: string[] = [];
  const sum = (): string => {
    if (added.length === 0) return FREE_START;
    const units = new Set(added.map((s) => /[A-Za-z%]+$/.exec(s)![0]));
    if (units.size === 1) {
      const u = [...units][0];
      const total = added.reduce((a, s) => a + parseFloat(s), 0);
      return `${FREE_START}+${Math.round(total * 1000) / 1000}${u}`;
    }
    return `${FREE_START}+${added.join('+')}`;
  };
  for (const r of p.resources) {
    const start = sum();
    if (r.size !== 'rest') added.push(r.size);
    out.push({ r, start, end: r.size === 'rest' ? '100%' : sum() });
  }
  return out;
}

/** The parted commands for this plan (with `freeStart`, or the plan's own bounds, or symbolic). */
export function partitionCommands(p: Plan, freeStart?: string, opts: { extended?: boolean } = {}): string[] {
  const disk = q(p.storage.disk);
  const bounds = boundsOrSymbolic(p, freeStart);
  const cmds: string[] = [];
  if (opts.extended !== false) cmds.push(`parted -s -a optimal ${disk} mkpart extended ${bounds[0].start} 100%`);
  for (const b of bounds) cmds.push(`parted -s -a optimal ${disk} mkpart logical ${b.start} ${b.end}`);
  return cmds;
}

/** `align-check opt N` for each planned partition (exit code 0 = aligned, with -s). */
export function alignCommands(p: Plan): string[] {
  return p.resources.map(
    (r) => `parted -s ${q(p.storage.disk)} align-check opt ${partitionNumber(p.storage.disk, r.partition)}`,
  );
}

async function readTable(ctx: TaskContext): Promise<PartedTable> {
  return parsePartedHuman(await ctx.node.sh(printFreeCommand(ctx.plan)));
}

/** Partition names (`sda5`) the running kernel knows, from /proc/partitions. */
async function kernelPartitions(ctx: TaskContext): Promise<Set<string>> {
  const r = await ctx.node.exec('cat /proc/partitions');
  return new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[3])
      .filter((x): x is string => !!x && x !== 'name'),
  );
}

const devName = (partition: string) => partition.replace(/^\/dev\//, '');

/** The numbers the plan asks for must be the next logical numbers, in order (parted numbers them). */
function checkNumbering(p: Plan, table: PartedTable): number[] {
  const nums = p.resources.map((r) => partitionNumber(p.storage.disk, r.partition));
  const logical = table.rows.filter((r) => r.number !== undefined && r.number >= 5).map((r) => r.number!);
  const first = Math.max(4, ...logical) + 1;
  const want = nums.map((_, i) => first + i);
  if (nums.some((n, i) => n !== want[i]))
    throw new AnvilError(
      `${p.storage.disk}: parted will number the new logical partitions ${want.join(', ')}, but the answers name ${nums.join(', ')}`,
      'fix storage.resources[].partition to the numbers parted will give',
    );
  return nums;
}

/** parted 2.1's warning when the kernel keeps the old table of a disk in use (tutorial 2200–2202). */
export const REREAD_WARNING = /the kernel failed to re-read the partition table on \S+\s+\(Device or resource busy\)/;

/**
 * Run one `mkpart`. On a disk in use (the system disk always is) parted 2.1 writes the new table, then
 * fails to make the kernel re-read it: "Warning: WARNING: the kernel failed to re-read the partition
 * table ... until after reboot." (2200–2202; the tutorial: "Don't worry about that message, we will
 * reboot when we finish", 2203). In script mode that commit failure exits 1, so exit 1 with exactly
 * that warning is the expected outcome; the reboot at the end of the task makes the kernel see it.
 */
async function mkpart(ctx: TaskContext, cmd: string): Promise<void> {
  const r = await ctx.node.exec(cmd);
  if (r.code === 0) return;
  const text = `${r.stdout}${r.stderr}`;
  if (r.code === 1 && REREAD_WARNING.test(text)) {
    ctx.log(`${ctx.node.plan.name}: parted: the kernel keeps the old partition table until the reboot (expected)`);
    return;
  }
  throw new AnvilError(`${ctx.node.plan.name}: \`${cmd}\` failed (exit ${r.code})`, text.trim() || undefined);
}

/** Whether two parted positions printed in one unit are the same place (parted rounds what it prints). */
function samePlace(printed: string, planned: string): boolean {
  const a = toBytes(printed);
  const b = toBytes(planned);
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  // NOTE: parted prints 3 significant digits (47.5GB, 284GB): within 0.5% + 1 MB is the same position.
  return Math.abs(a - b) <= Math.max(a, b) * 0.005 + 1e6;
}

/**
 * The free-space start to finish a partly created set from, after checking that the partitions that
 * exist are the plan's first ones, where the plan puts them. Throws with the evidence otherwise.
 */
function completionStart(p: Plan, table: PartedTable, nums: number[], present: number[], node: string): string {
  const rows = new Map(table.rows.filter((r) => r.number !== undefined).map((r) => [r.number!, r]));
  const prefix = nums.slice(0, present.length);
  const seen = present.map((n) => `${n}: ${rows.get(n)!.type ?? '?'} ${rows.get(n)!.start}-${rows.get(n)!.end}`);
  const refuse = (why: string) =>
    new AnvilError(
      `${node}: ${p.storage.disk} already has partition${present.length > 1 ? 's' : ''} ${present.join(', ')} but not ${nums.filter((n) => !present.includes(n)).join(', ')}, and ${why} (seen: ${seen.join('; ')})`,
      'a layout that is not the beginning of the plan is not re-partitioned automatically: remove or fix the partitions by hand (parted), then resume',
    );
  if (present.some((n, i) => n !== prefix[i])) throw refuse('they are not the first partitions of the plan');
  if (present.some((n) => rows.get(n)!.type && rows.get(n)!.type !== 'logical')) throw refuse('not all are logical');
  const start = p.resources[0].start ?? rows.get(nums[0])!.start;
  const bounds = boundsOrSymbolic(p, start);
  for (const [i, n] of present.entries()) {
    const r = rows.get(n)!;
    const b = bounds[i];
    const endOk = b.end === '100%' || samePlace(r.end, b.end);
    if (!samePlace(r.start, b.start) || !endOk)
      throw refuse(`partition ${n} is not where the plan puts it (${b.start}-${b.end})`);
  }
  return start;
}

/**
 * Where the new partitions go when the answers give no start: inside an existing extended partition
 * its free space, otherwise the disk's largest free region.
 */
function freeRegion(table: PartedTable): ReturnType<typeof largestFree> {
  const ext = table.rows.find((r) => r.type === 'extended');
  return ext
    ? largestFree({
        ...table,
        rows: table.rows.filter(
          (r) => r.free && toBytes(r.start) >= toBytes(ext.start) && toBytes(r.start) < toBytes(ext.end),
        ),
      })
    : largestFree(table);
}

/** Step "Creating the DRBD partitions": once per node, aligned, then a reboot when the kernel needs it. */
export const drbdPartitions: Step = {
  id: 'drbd-partitions',
  perNode: true,
  title: 'Creating the DRBD partitions',
  ifSkipped: 'no backing partitions: drbd-config fails (create-md has no device)',
  doc:
    'One extended partition over the free space of the disk, then within it one logical partition per DRBD resource: ' +
    'a small one for the shared GFS2 partition and one per node for the VMs that normally run there. parted -a optimal ' +
    'aligns each partition optimally, so the file systems of the VMs line up with the blocks of the storage below ' +
    '(avoidable disk I/O otherwise, on platters and SSDs alike). The values differ on every machine: the free space ' +
    'starts where `print free` says. Then reboot so the kernel sees the new partition table. Do this on both nodes.',
  warnings: ['DO NOT DIRECTLY COPY the partition values: they depend on where the free space of your disk starts.'],
  tasks: [
    {
      id: 'drbd-partitions.create',
      title: 'Create the extended and the logical DRBD partitions',
      on: 'both',
      kind: 'once',
      destroys: (p) => p.storage.disk,
      disrupts: 'reboots each node after partitioning so the kernel reads the new partition table',
      commands: (p) => {
        const known = p.resources.every((r) => r.start && r.end);
        return [
          printFreeCommand(p),
          ...(known
            ? []
            : [
                `# ${FREE_START} = the Start of the largest "Free Space" row printed above (e.g. 47.5GB); each end = its start + the resource size`,
              ]),
          ...partitionCommands(p),
          ...alignCommands(p),
          printFreeCommand(p),
          'reboot',
        ];
      },
      expect: (p) => [
        `${p.storage.disk} holds an extended partition and, in it, ${p.resources.map((r) => `${r.partition} (${r.name}, ${r.size === 'rest' ? 'the rest' : r.size})`).join(', ')}`,
        `\`align-check opt N\` passes for ${p.resources.map((r) => partitionNumber(p.storage.disk, r.partition)).join(', ')}`,
        'after the reboot the kernel lists the new partitions in /proc/partitions',
      ],
      // NOTE: the approval shows the boundaries read from this node now, never FREE_START.
      async preview(ctx) {
        const p = ctx.plan;
        const table = await readTable(ctx);
        const ext = table.rows.find((r) => r.type === 'extended');
        const free = p.resources[0].start ? undefined : freeRegion(table);
        const start = p.resources[0].start ?? free?.start;
        if (!start) return [printFreeCommand(p), `# no free space on ${p.storage.disk}: the task will stop here`];
        return [
          ...(free ? [`# read now: the free space of ${p.storage.disk} starts at ${start} (${free.size} free)`] : []),
          ...partitionCommands(p, start, { extended: !ext }),
          ...alignCommands(p),
          'reboot',
        ];
      },
      async done(ctx) {
        const p = ctx.plan;
        const nums = p.resources.map((r) => partitionNumber(p.storage.disk, r.partition));
        const have = new Set(partitionNumbers(await readTable(ctx)));
        if (!nums.every((n) => have.has(n))) return false;
        const kernel = await kernelPartitions(ctx);
        return p.resources.every((r) => kernel.has(devName(r.partition)));
      },
      async run(ctx) {
        const p = ctx.plan;
        const node = ctx.node.plan.name;
        const table = await readTable(ctx);
        const nums = p.resources.map((r) => partitionNumber(p.storage.disk, r.partition));
        const have = new Set(partitionNumbers(table));
        const present = nums.filter((n) => have.has(n));
        if (present.length === 0) {
          checkNumbering(p, table);
          const ext = table.rows.find((r) => r.type === 'extended');
          let start = p.resources[0].start;
          if (!start) {
            const free = freeRegion(table);
            if (!free)
              throw new AnvilError(
                `${node}: no free space on ${p.storage.disk}`,
                `\`${printFreeCommand(p)}\` shows no Free Space row`,
              );
            start = free.start;
            // NOTE: the plan (and the runbook's mkpart lines) has one start for both nodes. Each node
            // records its own first; the second to do so (captures are synchronous, so one always sees
            // the other's) refuses a different start instead of silently replacing the first's.
            const peer = ctx.peer.plan.name;
            const theirs = ctx.captured<string>(freeStartKey(peer));
            ctx.capture(freeStartKey(node), start);
            if (theirs !== undefined && theirs !== start)
              throw new AnvilError(
                `${node}: the free space of ${p.storage.disk} starts at ${start}, on ${peer} at ${theirs}: the tutorial's nodes are identical and the plan has one start for both`,
                `set storage.freeStart to a position free on both nodes (the later one, ${[start, theirs].sort((a, b) => parseFloat(b) - parseFloat(a))[0]}, if the units match), then resume`,
              );
            ctx.capture(FREE_START_KEY, start);
            ctx.log(`${node}: free space of ${p.storage.disk} starts at ${start} (${free.size} free)`);
          }
          const bad = partitionBounds(p.resources, start).filter((b) => !b.end);
          if (bad.length)
            throw new AnvilError(
              `${node}: cannot add ${bad.map((b) => b.size).join(', ')} to the free-space start ${start}`,
              `write every storage.resources[].size in the unit parted prints (${sizeUnit(p)}), or set storage.freeStart`,
            );
          for (const cmd of partitionCommands(p, start, { extended: !ext })) await mkpart(ctx, cmd);
        } else if (present.length < nums.length) {
          // NOTE: an interrupted run (or a failed commit) left the first partitions: finish the set when
          // what exists is exactly the plan's beginning, else refuse with what was seen.
          const start = completionStart(p, table, nums, present, node);
          const bounds = boundsOrSymbolic(p, start);
          for (const [i, b] of bounds.entries())
            if (!have.has(nums[i]))
              await mkpart(ctx, `parted -s -a optimal ${q(p.storage.disk)} mkpart logical ${b.start} ${b.end}`);
        }
        for (const [i, cmd] of alignCommands(p).entries()) {
          const r = await ctx.node.exec(cmd);
          if (r.code !== 0)
            throw new AnvilError(
              `${node}: partition ${nums[i]} of ${p.storage.disk} is not optimally aligned`,
              r.stdout.trim() || r.stderr.trim() || undefined,
            );
        }
        const kernel = await kernelPartitions(ctx);
        if (p.resources.every((r) => kernel.has(devName(r.partition)))) return;
        ctx.log(`${node}: rebooting so the kernel sees the new partition table`);
        // NOTE: waits for a fresh boot, not just a reconnect (which could reach the node before it goes down).
        await rebootAndWait(ctx.node, ctx.log);
      },
      async verify(ctx) {
        const p = ctx.plan;
        const node = ctx.node.plan.name;
        const table = await readTable(ctx);
        const rows = new Map(table.rows.filter((r) => r.number !== undefined).map((r) => [r.number!, r]));
        const nums = p.resources.map((r) => partitionNumber(p.storage.disk, r.partition));
        const missing = nums.filter((n) => !rows.has(n));
        if (missing.length)
          throw new VerifyFailed(
            'drbd-partitions.create',
            node,
            `partitions ${nums.join(', ')} on ${p.storage.disk}`,
            `missing ${missing.join(', ')}; table has ${[...rows.keys()].join(', ') || 'none'}`,
          );
        const notLogical = nums.filter((n) => rows.get(n)!.type && rows.get(n)!.type !== 'logical');
        if (notLogical.length)
          throw new VerifyFailed(
            'drbd-partitions.create',
            node,
            'logical partitions',
            nums.map((n) => `${n}: ${rows.get(n)!.type}`).join(', '),
          );
        const unaligned: number[] = [];
        for (const [i, cmd] of alignCommands(p).entries())
          if ((await ctx.node.exec(cmd)).code !== 0) unaligned.push(nums[i]);
        if (unaligned.length)
          throw new VerifyFailed(
            'drbd-partitions.create',
            node,
            'align-check opt passes for every DRBD partition',
            `not aligned: ${unaligned.join(', ')}`,
          );
        const kernel = await kernelPartitions(ctx);
        const unseen = p.resources.filter((r) => !kernel.has(devName(r.partition)));
        if (unseen.length)
          throw new VerifyFailed(
            'drbd-partitions.create',
            node,
            'the kernel sees the new partitions (after a reboot)',
            `/proc/partitions lacks ${unseen.map((r) => devName(r.partition)).join(', ')}`,
          );
        return {
          summary: nums.map((n) => `${n}: ${rows.get(n)!.start}-${rows.get(n)!.end}`).join(', ') + ', aligned',
          details: Object.fromEntries(nums.map((n) => [`part${n}`, `${rows.get(n)!.start}-${rows.get(n)!.end}`])),
        };
      },
    },
  ],
};
