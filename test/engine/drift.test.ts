/**
 * The drift check on the synthetic install and its in-memory nodes: every done task's verify runs
 * again and nothing else (no file written, no state changed, no question, no gate driven); what
 * drifted is named per task and node with what the verify saw, secrets masked.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../../src/engine/types.js';
import { checkDrift, driftCounts, type DriftFinding } from '../../src/engine/drift.js';
import { readState } from '../../src/state/store.js';
import { Journal, parseJournal } from '../../src/state/journal.js';
import { secretValues, MASK } from '../../src/plan/derive.js';
import { VerifyFailed } from '../../src/errors.js';
import { makeWorld, runIn, SECRETS, syntheticSteps, tempDir, testAnswers } from '../helpers/synthetic-steps.js';

/** The synthetic install, run to the end (the gate accepted), and what a check needs. */
async function installed(steps: Step[] = syntheticSteps()) {
  const w = makeWorld();
  const dir = tempDir();
  const answers = testAnswers();
  const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps, answers });
  expect(r.outcome).toBe('complete');
  return { w, dir, answers, steps };
}

const rows = (fs: DriftFinding[]) => fs.map((f) => `${f.task}@${f.node}: ${f.status}`);

describe('checkDrift', () => {
  it("re-runs every done task's verify and nothing else: no write, no state change, every command journaled as check:<task>", async () => {
    const { w, dir, answers, steps } = await installed();
    const before = readFileSync(join(dir, 'state.json'), 'utf8');
    const files = Object.fromEntries(Object.entries(w.nodes).map(([n, node]) => [n, node.snapshot()]));
    const ran = Object.fromEntries(Object.entries(w.nodes).map(([n, node]) => [n, node.commands.length]));
    const journalBefore = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    const findings = await checkDrift({
      answers,
      steps,
      state: readState(dir)!,
      transports: w.transports,
      journal: new Journal(join(dir, 'journal.jsonl'), secretValues(answers)),
    });
    expect(rows(findings)).toEqual([
      'prep.macs@kvm-a: ok',
      'prep.macs@kvm-b: ok',
      'prep.conf@kvm-a: ok',
      'prep.conf@kvm-b: ok',
      'disk.mkpart@kvm-a: ok',
      'disk.mkpart@kvm-b: ok',
      'disk.lvm@kvm-a: ok',
      'disk.lvm@kvm-b: ok',
      'disk.free@kvm-a: ok',
      'check.failover@kvm-a: not-checked',
      'cluster.create@kvm-a: ok',
      'cluster.start@kvm-a: ok',
      'cluster.start@kvm-b: ok',
    ]);
    expect(findings.find((f) => f.task === 'check.failover')).toMatchObject({
      why: 'skipped',
      detail: 'skipped, never done: nothing to compare',
    });
    expect(findings.find((f) => f.task === 'cluster.start')!.detail).toBe('running');
    expect(driftCounts(findings)).toEqual({ ok: 12, drift: 0, error: 0, notChecked: 1, driftedSteps: [] });
    // read-only: the state file, the nodes' files and the commands they saw
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before);
    expect(Object.fromEntries(Object.entries(w.nodes).map(([n, node]) => [n, node.snapshot()]))).toEqual(files);
    const checkCmds = Object.values(w.nodes).flatMap((node) => node.commands.slice(ran[node.name]));
    expect(new Set(checkCmds)).toEqual(new Set(['demo-check', 'demo-parts', 'demo-created', 'demo-status']));
    const added = parseJournal(readFileSync(join(dir, 'journal.jsonl'), 'utf8').slice(journalBefore.length));
    expect(added.length).toBe(checkCmds.length);
    expect(added.every((e) => e.kind === 'exec' && e.task?.startsWith('check:'))).toBe(true);
  });

  it('names each drift by task and node with what the verify saw and expected; a failing read command is drift too', async () => {
    const { w, dir, answers, steps } = await installed();
    const conf = w.nodes['kvm-b'].files.get('/etc/demo.conf')!;
    conf.data = conf.data.replace(/cluster = \S+/, 'cluster = tampered');
    w.nodes['kvm-a'].vars.started = false;
    w.nodes['kvm-a'].vars.applied = false;
    const findings = await checkDrift({ answers, steps, state: readState(dir)!, transports: w.transports });
    const drift = findings.filter((f) => f.status === 'drift');
    expect(drift).toEqual([
      // `demo-check` exits 1: the verify's `sh` throws CommandFailed
      {
        step: 'prep',
        task: 'prep.conf',
        node: 'kvm-a',
        status: 'drift',
        detail: '`demo-check` failed with exit code 1: not applied',
      },
      {
        step: 'prep',
        task: 'prep.conf',
        node: 'kvm-b',
        status: 'drift',
        detail: expect.stringContaining('cluster = tampered'),
        expected: `cluster = ${answers.cluster.name}`,
      },
      {
        step: 'cluster',
        task: 'cluster.start',
        node: 'kvm-a',
        status: 'drift',
        detail: 'stopped',
        expected: 'running',
      },
    ]);
    expect(driftCounts(findings).driftedSteps).toEqual(['prep', 'cluster']);
  });

  it('checks only --only STEP; records not done are not checked', async () => {
    const { w, dir, answers, steps } = await installed();
    const state = readState(dir)!;
    state.tasks['disk.lvm']['kvm-b'].status = 'failed';
    delete state.tasks['disk.free'];
    const findings = await checkDrift({ answers, steps, state, transports: w.transports, only: 'disk' });
    expect(findings.map((f) => `${f.task}@${f.node}: ${f.status}${f.why ? ` (${f.detail})` : ''}`)).toEqual([
      'disk.mkpart@kvm-a: ok',
      'disk.mkpart@kvm-b: ok',
      'disk.lvm@kvm-a: ok',
      'disk.lvm@kvm-b: not-checked (not done (failed): nothing to compare)',
      'disk.free@kvm-a: not-checked (not done yet: nothing to compare)',
    ]);
    await expect(checkDrift({ answers, steps, state, transports: w.transports, only: 'nope' })).rejects.toThrow(
      /--only nope: no such step/,
    );
  });

  it('never drives a gate: a done gate without a verify is not re-checked, one with a verify has it run', async () => {
    let drives = 0;
    const steps = syntheticSteps();
    const gateStep = steps.find((s) => s.id === 'check')!;
    gateStep.tasks[0].gate!.drive = async () => {
      drives++;
      return { summary: 'driven' };
    };
    gateStep.tasks.push({
      id: 'check.after',
      title: 'Cluster back after the test',
      on: 'node1',
      kind: 'gate',
      gate: { instruct: () => 'test', drive: async () => (drives++, { summary: 'driven' }) },
      verify: async (ctx) => ({ summary: `status ${(await ctx.node.sh('demo-status')).trim()}` }),
    });
    const { w, dir, answers } = await installed(steps);
    expect(drives).toBe(0);
    const state = readState(dir)!;
    // NOTE: as an operator's confirmation would have left them
    for (const id of ['check.failover', 'check.after']) state.tasks[id]['kvm-a'].status = 'done';
    const findings = await checkDrift({ answers, steps, state, transports: w.transports, only: 'check' });
    expect(findings).toEqual([
      {
        step: 'check',
        task: 'check.failover',
        node: 'kvm-a',
        status: 'not-checked',
        detail: 'not re-checked (operator test)',
        why: 'operator-test',
      },
      { step: 'check', task: 'check.after', node: 'kvm-a', status: 'ok', detail: 'status running' },
    ]);
    expect(drives).toBe(0);
  });

  it('a verify may not ask, write or wait for a reboot (reported as could not check); its captures are ignored; first-build transitions are not checked', async () => {
    const steps: Step[] = [
      {
        id: 'odd',
        title: 'Odd verifies',
        doc: '',
        tasks: [
          {
            id: 'odd.asks',
            title: 'asks',
            on: 'node1',
            kind: 'safe',
            commands: () => ['true'],
            verify: async (ctx) => ({ summary: String(await ctx.prompt.confirm('Really?')) }),
          },
          {
            id: 'odd.writes',
            title: 'writes',
            on: 'node1',
            kind: 'safe',
            commands: () => ['true'],
            verify: async (ctx) => (await ctx.node.writeFile('/etc/x', 'x'), { summary: 'wrote' }),
          },
          {
            id: 'odd.reboots',
            title: 'reboots',
            on: 'node1',
            kind: 'safe',
            commands: () => ['true'],
            verify: async (ctx) => (await ctx.node.waitForReconnect!(), { summary: 'back' }),
          },
          {
            id: 'odd.captures',
            title: 'captures',
            on: 'node1',
            kind: 'safe',
            commands: () => ['true'],
            verify: async (ctx) => {
              ctx.capture('odd.key', 'new');
              return { summary: `captured ${String(ctx.captured('odd.key') ?? 'nothing')}` };
            },
          },
          {
            id: 'odd.once',
            title: 'first build',
            on: 'node1',
            kind: 'safe',
            firstBuildOnly: 'stopped once',
            commands: () => ['true'],
            verify: async () => ({ summary: 'x' }),
          },
        ],
      },
    ];
    const w = makeWorld();
    const answers = testAnswers();
    const state = {
      schemaVersion: 1,
      createdAt: '',
      updatedAt: '',
      captured: {} as Record<string, unknown>,
      tasks: Object.fromEntries(steps[0].tasks.map((t) => [t.id, { 'kvm-a': { status: 'done' as const } }])),
    };
    const findings = await checkDrift({ answers, steps, state, transports: w.transports });
    expect(findings.map((f) => `${f.task}: ${f.status}: ${f.detail}`)).toEqual([
      'odd.asks: error: odd.asks: its verify asked "Really?"; a check only reads, so this was refused',
      'odd.writes: error: odd.writes: its verify tried to write /etc/x; a check only reads, so this was refused',
      'odd.reboots: error: odd.reboots: its verify waited for a reconnect (a reboot or network restart); a check only reads, so this was refused',
      'odd.captures: ok: captured nothing',
      'odd.once: not-checked: one-time transition of the first build (stopped once), not a lasting state',
    ]);
    expect(state.captured).toEqual({});
    expect(w.nodes['kvm-a'].files.has('/etc/x')).toBe(false);
    expect(w.nodes['kvm-a'].reconnects).toBe(0);
  });

  it('masks the secrets in what a verify saw', async () => {
    const steps: Step[] = [
      {
        id: 'pw',
        title: 'Password',
        doc: '',
        tasks: [
          {
            id: 'pw.check',
            title: 'password',
            on: 'both',
            kind: 'safe',
            commands: () => ['true'],
            verify: async (ctx) => {
              if (ctx.node.plan.name === 'kvm-a') return { summary: `password ${ctx.plan.answers.ricci.password}` };
              throw new VerifyFailed(
                'pw.check',
                ctx.node.plan.name,
                `password ${ctx.plan.answers.ricci.password}`,
                `password ${ctx.plan.answers.ricci.password}x`,
              );
            },
          },
        ],
      },
    ];
    const w = makeWorld();
    const answers = testAnswers();
    const state = {
      schemaVersion: 1,
      createdAt: '',
      updatedAt: '',
      captured: {},
      tasks: { 'pw.check': { 'kvm-a': { status: 'done' as const }, 'kvm-b': { status: 'done' as const } } },
    };
    const findings = await checkDrift({ answers, steps, state, transports: w.transports });
    expect(JSON.stringify(findings)).not.toContain(SECRETS.RICCI_PW);
    expect(findings[0].detail).toBe(`password ${MASK}`);
    expect(findings[1]).toMatchObject({ status: 'drift', expected: `password ${MASK}` });
  });
});
