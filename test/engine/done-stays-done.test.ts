/**
 * Issue 15 points 1 and 2, on the synthetic install: a done task's inputs are frozen as it ran (a
 * value it captured itself never re-opens it); a change re-opens only the tasks whose inputs change;
 * a test is not re-run by a change, only when named (`retest`) and from a safe state; a task with
 * `live` is re-applied through it (never its first-build files), and an interrupted live re-apply
 * resumes as one.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step, Task } from '../../src/engine/types.js';
import { VerifyFailed } from '../../src/errors.js';
import { readState } from '../../src/state/store.js';
import type { StateFile } from '../../src/state/types.js';
import { capturedAsOf, FREE_START_KEY, recordCapture } from '../../src/engine/captured.js';
import { labHands } from '../../src/engine/hands.js';
import { makeWorld, runIn, syntheticSteps, tempDir, testAnswers } from '../helpers/synthetic-steps.js';

/** A partitioning task like drbd-partitions.create: its commands show the free start once it is known; it captures it. */
const partition: Task = {
  id: 'disk.part',
  title: 'Partition the free space',
  on: 'both',
  kind: 'once',
  commands: (p) => [`demo-part ${p.resources[0].start ?? 'FREE_START'}`],
  done: async (ctx) => (await ctx.node.exec('demo-parted')).code === 0,
  async run(ctx) {
    const free = (await ctx.node.sh('demo-free')).trim();
    ctx.capture(FREE_START_KEY, free);
    await ctx.node.sh(`demo-part ${free}`);
  },
  verify: async () => ({ summary: 'parted' }),
};

/** Edit state.json in place (a test stands in for a kill or an older version's records). */
function patchState(dir: string, fn: (s: StateFile) => void): void {
  const s = readState(dir)!;
  fn(s);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
}

function steps(extra: (s: Step[]) => void = () => undefined): Step[] {
  const s = syntheticSteps().map((st) =>
    st.id === 'disk' ? { ...st, tasks: st.tasks.filter((t) => t.id !== 'disk.free') } : st,
  );
  s.find((x) => x.id === 'disk')!.tasks.push(partition);
  extra(s);
  return s;
}

function world() {
  const w = makeWorld();
  for (const n of Object.values(w.nodes))
    n.on(/^demo-part (\S+)$/, (_m, node) => void (node.vars.parted = true)).on('demo-parted', (_m, node) =>
      node.vars.parted ? { stdout: 'yes\n' } : { code: 1 },
    );
  return w;
}

describe('frozen inputs (issue 15 point 1)', () => {
  it('capturedAsOf gives each key as it was at a capture sequence; the same value again is no new version', () => {
    const st = { captured: { old: 'x' } } as unknown as StateFile;
    recordCapture(st, 'a', 1);
    recordCapture(st, 'a', 1);
    expect(st.captureSeq).toBe(1);
    recordCapture(st, 'b', 'B');
    recordCapture(st, 'a', 2);
    expect(st.captureSeq).toBe(3);
    expect(capturedAsOf(st, 0)).toEqual({ old: 'x' });
    expect(capturedAsOf(st, 1)).toEqual({ old: 'x', a: 1 });
    expect(capturedAsOf(st, 2)).toEqual({ old: 'x', a: 1, b: 'B' });
    expect(capturedAsOf(st, 3)).toEqual({ old: 'x', a: 2, b: 'B' });
    expect(capturedAsOf(st, undefined)).toBe(st.captured);
  });

  it('a task that captured the value its own commands show is not re-opened by it: a resume runs nothing', async () => {
    const w = world();
    const dir = tempDir();
    const first = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(first.outcome).toBe('complete');
    expect(first.executed).toContain('disk.part@kvm-a');
    const s1 = readState(dir)!;
    expect(s1.captured[FREE_START_KEY]).toBe('47.5GB');
    const before = Object.values(w.nodes).map((n) => n.commands.length);
    const again = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(again).toMatchObject({ outcome: 'complete', executed: [] });
    // NOTE: not even a done probe or a verify: the nodes saw no command at all.
    expect(Object.values(w.nodes).map((n) => n.commands.length)).toEqual(before);
    expect(readState(dir)!.tasks).toEqual(s1.tasks);
  });

  it('the same install before the fix (records without capturedSeq) re-opens the partitioning: the test can fail', async () => {
    const w = world();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    patchState(dir, (s) => {
      for (const byNode of Object.values(s.tasks)) for (const r of Object.values(byNode)) delete r.capturedSeq;
    });
    const again = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(readState(dir)!.tasks['disk.part']['kvm-a'].note).toMatch(/done probe/);
    expect(again.executed).toEqual([]);
  });
});

describe('re-opening by meaning (issue 15 point 2)', () => {
  it('a changed answer that reaches a test keeps the test (note names --retest); --retest runs it again', async () => {
    const w = world();
    const dir = tempDir();
    const withGate = () =>
      steps((s) => {
        const t = s.find((x) => x.id === 'check')!.tasks[0];
        t.gate = { ...t.gate!, instruct: (p) => `Pull the BCN cable of ${p.nodes[0].name} in ${p.cluster.name}.` };
      });
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: withGate() });
    const changed = testAnswers((a) => (a.cluster.name = 'bc-prod-9'));
    // NOTE: no --accept-gates: a gate that ran again would stop this run at it.
    const r = await runIn(dir, { transports: w.transports, yes: true, answers: changed, steps: withGate() });
    expect(r.outcome).toBe('complete');
    const rec = readState(dir)!.tasks['check.failover']['kvm-a'];
    expect(rec.status).toBe('skipped');
    expect(rec.note).toMatch(/not re-run because an answer changed.*--retest check/);
    const again = await runIn(dir, {
      transports: w.transports,
      yes: true,
      answers: changed,
      steps: withGate(),
      retest: ['check'],
    });
    expect(again.outcome).toBe('gate');
    expect(again.stop?.task).toBe('check.failover');
  });

  it('--retest refuses a test whose platform is not in a safe state, before anything of it runs; the record stays done', async () => {
    const w = world();
    const dir = tempDir();
    let drives = 0;
    const hands = labHands(async () => undefined);
    const driven = () =>
      steps((s) => {
        const t = s.find((x) => x.id === 'check')!.tasks[0];
        t.gate = {
          ...t.gate!,
          drive: async () => {
            drives++;
            return { summary: 'driven' };
          },
          unsafe: async (ctx) =>
            (await ctx.node.sh('demo-status')).trim() === 'running' ? 'guests run on kvm-a' : undefined,
        };
      });
    await runIn(dir, { transports: w.transports, yes: true, hands, steps: driven() });
    expect(drives).toBe(1);
    const r = await runIn(dir, { transports: w.transports, yes: true, hands, steps: driven(), retest: ['check'] });
    expect(r.outcome).toBe('failed');
    expect(r.stop?.message).toMatch(/check\.failover is not run again now: guests run on kvm-a/);
    expect(drives).toBe(1);
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({ status: 'done', runs: 1 });
    for (const n of Object.values(w.nodes)) n.vars.started = false;
    const ok = await runIn(dir, { transports: w.transports, yes: true, hands, steps: driven(), retest: ['check'] });
    expect(ok.executed).toContain('check.failover@kvm-a');
    expect(drives).toBe(2);
  });

  it('--retest of a step without a test is refused by name', async () => {
    const w = world();
    await expect(
      runIn(tempDir(), { transports: w.transports, yes: true, steps: steps(), retest: ['disk'] }),
    ).rejects.toThrow(/--retest disk: that step holds no test/);
  });

  it('a re-opened task with `live` runs its live apply, never its first-build files; an interrupted one resumes as one', async () => {
    const w = world();
    const dir = tempDir();
    let applied = 0;
    const live = () =>
      steps((s) => {
        const t = s.find((x) => x.id === 'prep')!.tasks.find((x) => x.id === 'prep.conf')!;
        t.live = {
          summary: () => 'reloads demo.conf in place',
          commands: () => ['demo-reload'],
          run: async (ctx) => {
            applied++;
            await ctx.node.sh('demo-reload');
          },
          verify: async (ctx) => {
            if ((await ctx.node.exec('demo-reloaded')).code !== 0)
              throw new VerifyFailed('prep.conf', ctx.node.plan.name, 'reloaded', 'not reloaded');
            return { summary: 'reloaded' };
          },
        };
      });
    for (const n of Object.values(w.nodes))
      n.on('demo-reload', (_m, node) => void (node.vars.reloaded = true)).on('demo-reloaded', (_m, node) =>
        node.vars.reloaded ? { stdout: 'yes\n' } : { code: 1 },
      );
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: live() });
    expect(applied).toBe(0);
    const conf = w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data;
    const changed = testAnswers((a) => (a.cluster.name = 'bc-prod-9'));
    const r = await runIn(dir, { transports: w.transports, yes: true, answers: changed, steps: live() });
    expect(r.outcome).toBe('complete');
    expect(r.executed.sort()).toEqual(['prep.conf@kvm-a', 'prep.conf@kvm-b']);
    expect(applied).toBe(2);
    // NOTE: the live apply replaced the first-build write: the file is as it was.
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toBe(conf);
    expect(readState(dir)!.tasks['prep.conf']['kvm-a'].live).toBeUndefined();
    // interrupted mid-apply: the record says so; the resume checks the live verify, then re-applies
    patchState(dir, (s) => Object.assign(s.tasks['prep.conf']['kvm-a'], { status: 'running', live: true }));
    w.nodes['kvm-a'].vars.reloaded = false;
    const resumed = await runIn(dir, { transports: w.transports, yes: true, answers: changed, steps: live() });
    expect(resumed.executed).toEqual(['prep.conf@kvm-a']);
    expect(applied).toBe(3);
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toBe(conf);
  });
});
