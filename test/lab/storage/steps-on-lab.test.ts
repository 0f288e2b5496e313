/**
 * The steps' own code (steps/drbd-install .. steps/gfs2: files, commands, run, done and verify) run
 * against in-process lab nodes through a minimal NodeHandle, with the fake quorate cluster standing in
 * for cman (clvm.cluster-up, which needs cman_tool, is skipped). Proves the lab answers what the steps
 * read, on both example clusters.
 */
import { describe, expect, it } from 'vitest';
import { answers, cluster, run, storageWorld } from './setup.js';
import { derivePlan, type Plan } from '../../../src/plan/derive.js';
import { renderFile } from '../../../src/engine/render.js';
import { CommandFailed } from '../../../src/errors.js';
import type { NodeHandle, Step, Task, TaskContext } from '../../../src/engine/types.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import type { World } from '../../../src/lab/world.js';
import { drbdInstall } from '../../../steps/drbd-install.js';
import { drbdPartitions } from '../../../steps/drbd-partitions.js';
import { drbdConfig } from '../../../steps/drbd-config.js';
import { clvm } from '../../../steps/clvm.js';
import { gfs2 } from '../../../steps/gfs2.js';
import { destructiveLog } from '../../../src/lab/storage/index.js';

function handle(p: Plan, n: LabNode, w?: World): NodeHandle {
  const plan = p.nodes.find((x) => x.name === n.name)!;
  const h: NodeHandle = {
    plan,
    async exec(cmd, opts = {}) {
      const r = await n.exec(cmd, opts.stdin === undefined ? {} : { stdin: opts.stdin });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: 1 };
    },
    async sh(cmd, opts = {}) {
      const r = await h.exec(cmd, opts);
      if (r.code !== 0) throw new CommandFailed(n.name, cmd, r.code, r.stderr || r.stdout);
      return r.stdout;
    },
    async readFile(path) {
      try {
        return n.fs.readText(path);
      } catch {
        return null;
      }
    },
    // the reboot after partitioning (parted 2.1 could not make the kernel re-read the busy disk)
    async waitForReconnect() {
      await w?.settle();
      if (!n.running) throw new Error(`${n.name} is down`);
      // the fake cluster stands for cman, started again at boot
      if (w) cluster(w).up.add(n.name);
    },
    async writeFile(path, content, opts = {}) {
      if (opts.backup === 'orig' && n.fs.exists(path) && !n.fs.exists(`${path}.orig`))
        n.fs.writeFile(`${path}.orig`, n.fs.readFile(path));
      n.fs.writeFile(path, content, opts.mode ?? 0o644);
    },
  };
  return h;
}

async function runTask(w: World, p: Plan, t: Task, captured: Map<string, unknown>, log: string[]) {
  const names =
    t.on === 'node1' ? [p.nodes[0].name] : t.on === 'node2' ? [p.nodes[1].name] : p.nodes.map((x) => x.name);
  const ctxFor = (name: string): TaskContext => {
    const peer = p.nodes.find((x) => x.name !== name)!.name;
    return {
      plan: p,
      node: handle(p, w.nodes[name], w),
      peer: handle(p, w.nodes[peer], w),
      prompt: {
        confirm: async (_m, d) => d ?? true,
        input: async (_m, o) => o?.def ?? '',
        select: async (_m, c, d) => d ?? c[0],
      },
      log: (m) => log.push(m),
      capture: (k, v) => captured.set(k, v),
      captured: <T>(k: string) => captured.get(k) as T | undefined,
    };
  };
  const one = async (name: string) => {
    const ctx = ctxFor(name);
    if (t.kind === 'once' && t.done && (await t.done(ctx))) return;
    for (const f of t.files?.(p, ctx.node.plan) ?? []) {
      const cur = await ctx.node.readFile(f.path);
      const text = f.edit ? f.edit(cur ?? '') : renderFile(f, p, ctx.node.plan);
      await ctx.node.writeFile(f.path, text, { mode: f.mode ?? 0o644, backup: f.backup });
    }
    if (t.run) await t.run(ctx);
    else for (const c of t.commands?.(p, ctx.node.plan) ?? []) if (!c.startsWith('#')) await ctx.node.sh(c);
  };
  if (t.on === 'each') for (const n of names) await one(n);
  else await Promise.all(names.map(one));
  const verifyOn = t.on === 'node1' ? [names[0]] : names;
  for (const n of verifyOn) await t.verify!(ctxFor(n));
}

async function playSteps(file: string) {
  const a = answers(file);
  const w = await storageWorld(a);
  for (const na of a.nodes) {
    const r = await run(w.nodes[na.name], 'yum install -y wget lvm2-cluster gfs2-utils');
    if (r.code) throw new Error(r.err);
  }
  const p = derivePlan(a);
  const captured = new Map<string, unknown>();
  const log: string[] = [];
  const steps: Step[] = [drbdInstall, drbdPartitions, drbdConfig, clvm, gfs2];
  for (const s of steps)
    for (const t of s.tasks) {
      if (t.id === 'clvm.cluster-up') continue;
      await runTask(w, p, t, captured, log);
    }
  return { w, p, log, captured, steps, a };
}

describe("the storage steps' code against the lab", () => {
  for (const file of ['examples/tutorial.anvil.yaml', 'test/fixtures/other.anvil.yaml'])
    it(`runs and verifies steps 12-16 for ${file}; a second pass runs nothing destructive`, async () => {
      const { w, p, steps, a } = await playSteps(file);
      const before = a.nodes.map((n) => destructiveLog(w, n.name).length);
      expect(before[0]).toBeGreaterThan(10);
      // Resume over a finished install: `once` tasks are skipped by their done probes.
      const captured = new Map<string, unknown>();
      const log: string[] = [];
      for (const s of steps.slice(0, 2)) for (const t of s.tasks) await runTask(w, p, t, captured, log);
      expect(a.nodes.map((n) => destructiveLog(w, n.name).length)).toEqual(before);
    });
});

describe('drbd-partitions on the strict lab (parted 2.1 cannot make the kernel re-read the busy system disk)', () => {
  async function partedWorld() {
    const a = answers('examples/tutorial.anvil.yaml');
    const w = await storageWorld(a);
    const p = derivePlan(a);
    return { w, p, n1: w.nodes[a.nodes[0].name] };
  }
  const task = drbdPartitions.tasks[0];

  it('expects the re-read warning (exit 1, tutorial 2200-2202), reboots, and completes a set an interrupted run left half made', async () => {
    const { w, p, n1 } = await partedWorld();
    // an earlier run was killed after the extended and the first logical partition
    for (const c of ['mkpart extended 47.5GB 100%', 'mkpart logical 47.5GB 67.5GB']) {
      const r = await run(n1, `parted -s -a optimal /dev/sda ${c}`);
      expect(r.code).toBe(1);
      expect(r.out).toContain('the kernel failed to re-read the partition table on /dev/sda');
    }
    const log: string[] = [];
    await runTask(w, p, { ...task, on: 'node1' }, new Map(), log);
    const table = (await run(n1, 'parted -s /dev/sda unit GB print')).out;
    expect(table).toMatch(/ 5 +47\.5GB +67\.5GB .* logical/);
    expect(table).toMatch(/ 6 +67\.5GB +284GB .* logical/);
    expect(table).toMatch(/ 7 +284GB +500GB .* logical/);
    expect(log.join('\n')).toContain('the kernel keeps the old partition table until the reboot (expected)');
    expect((await run(n1, 'cat /proc/partitions')).out).toMatch(/ sda7\n/);
    expect(destructiveLog(w, n1.name).filter((e) => e.op === 'parted mkpart')).toHaveLength(4);
  });

  it('refuses to finish a set that is not the beginning of the plan, with what it saw', async () => {
    const { w, p, n1 } = await partedWorld();
    for (const c of ['mkpart extended 47.5GB 100%', 'mkpart logical 47.5GB 60GB'])
      await run(n1, `parted -s -a optimal /dev/sda ${c}`);
    await expect(runTask(w, p, { ...task, on: 'node1' }, new Map(), [])).rejects.toThrow(
      /already has partition 5 but not 6, 7, and partition 5 is not where the plan puts it \(47\.5GB-67\.5GB\) \(seen: 5: logical 47\.5GB-60\.0GB\)/,
    );
  });
});
