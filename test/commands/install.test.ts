import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  install,
  answersHash,
  Interrupted,
  type TransportFactory,
  type TransportRequest,
} from '../../src/commands/install.js';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { resume } from '../../src/commands/resume.js';
import { statusText } from '../../src/commands/status.js';
import { buildProgram } from '../../src/cli.js';
import { captureOutput, setOutput, type Output } from '../../src/output.js';
import { readState } from '../../src/state/store.js';
import { loadAnswers } from '../../src/plan/load.js';
import type { Step } from '../../src/engine/types.js';
import { FakePrompter } from '../../src/engine/prompts.js';
import { makeWorld, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

const ANSWERS = 'test/fixtures/other.anvil.yaml';
const env = { ...SECRETS };

let out: ReturnType<typeof captureOutput>;
let prev: Output;
beforeEach(() => {
  out = captureOutput();
  prev = setOutput(out);
});
afterEach(() => {
  setOutput(prev);
});

function factory(w = makeWorld()): {
  w: ReturnType<typeof makeWorld>;
  f: TransportFactory;
  calls: TransportRequest[];
  closed: () => number;
} {
  const calls: TransportRequest[] = [];
  let closed = 0;
  const f: TransportFactory = async (r) => {
    calls.push(r);
    return { transports: w.transports, close: async () => void closed++ };
  };
  return { w, f, calls, closed: () => closed };
}

const deps = (f: TransportFactory, steps: Step[] = syntheticSteps()) => ({
  transportFactory: f,
  steps,
  env,
  renderer: 'silent' as const,
  signals: false,
});

describe('install / resume / status commands', () => {
  it('install --yes --accept-gates runs to the end, records the answers file and prints the summary', async () => {
    const { f, calls, closed } = factory();
    const dir = join(tempDir(), '.anvil');
    const r = await install({ answers: ANSWERS, state: dir, yes: true, acceptGates: true }, deps(f));
    expect(r.outcome).toBe('complete');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ stateDir: resolve(dir), lab: false, interactive: false });
    expect(closed()).toBe(1);
    const s = readState(dir)!;
    expect(s.answersFile).toBe(resolve(ANSWERS));
    expect(s.answersHash).toBe(answersHash(loadAnswers(ANSWERS, env)));
    expect(s.lab).toBeUndefined();
    const text = out.text();
    expect(text).toContain('✔ every selected step is done');
    expect(text).toMatch(/done: +prep, disk, cluster/);
    expect(text).toContain(`anvil-install runbook --answers ${resolve(ANSWERS)} --state ${resolve(dir)}`);
    for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
  });

  it('shows progress through the simple renderer when not on a terminal', async () => {
    const { f } = factory();
    const dir = tempDir();
    await install({ answers: ANSWERS, state: dir, yes: true, acceptGates: true }, { ...deps(f), renderer: 'simple' });
    const text = out.text();
    expect(text).toContain('Prepare (prep)');
    expect(text).toContain('Make partition [kvm-a, kvm-b]');
  });

  it('refuses a state folder that belongs to another answers file unless --force', async () => {
    const { f } = factory();
    const dir = tempDir();
    await install({ answers: ANSWERS, state: dir, yes: true, to: 'prep' }, deps(f));
    const other = join(tempDir(), 'copy.anvil.yaml');
    copyFileSync(ANSWERS, other);
    await expect(install({ answers: other, state: dir, yes: true, to: 'prep' }, deps(f))).rejects.toThrow(
      /belongs to .*other\.anvil\.yaml/,
    );
    const r = await install({ answers: other, state: dir, yes: true, to: 'prep', force: true }, deps(f));
    expect(r.outcome).toBe('complete');
    expect(readState(dir)!.answersFile).toBe(other);
  });

  it('without --yes and without a terminal, refuses to start rather than hang', async () => {
    const { f, calls } = factory();
    const dir = tempDir();
    await expect(install({ answers: ANSWERS, state: dir }, { ...deps(f), interactive: false })).rejects.toThrow(
      /no terminal to ask on/,
    );
    expect(readState(dir)).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('a gate stop exits cleanly; resume shows the gate again: --yes stops there, --accept-gates skips it, only the operator confirms it', async () => {
    const { w, f, calls } = factory();
    const dir = tempDir();
    const r = await install({ answers: ANSWERS, state: dir, yes: true, lab: true }, deps(f));
    expect(r.outcome).toBe('gate');
    expect(out.text()).toContain(
      `operator action needed: check/check.failover — run \`anvil-install resume --state ${dir}\` after doing it`,
    );
    expect(calls[0].lab).toBe(true);
    expect(readState(dir)!.lab).toEqual({ stateDir: join(dir, 'lab'), ports: {} });
    expect(statusText(dir, syntheticSteps())).toContain('check.failover on kvm-a: waiting for the operator');

    // resume --yes: nobody confirmed anything, so it stops at the same gate again
    const r2 = await resume({ state: dir, yes: true }, deps(f));
    expect(r2.outcome).toBe('gate');
    expect(r2.stop).toMatchObject({ task: 'check.failover', node: 'kvm-a' });
    expect(calls[1].lab).toBe(true);
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'pending',
      awaitingOperator: true,
    });

    // the operator, in a terminal: the checklist is shown and each item confirmed
    const p = new FakePrompter({ 'Approve step': 'approve this step', '[1/2]': true, '[2/2]': true });
    const r3 = await resume({ state: dir }, { ...deps(f), prompter: p });
    expect(r3.outcome).toBe('complete');
    // the gate's step is approved first (its screen shows what the operator will do), then the checklist
    expect(p.asked[0].message).toMatch(
      /you act, then confirm each item:\n\s+Pull the BCN cable of kvm-a\.[\s\S]*Approve step 3 of 4 \(check\)\?$/,
    );
    expect(p.asked.find((a) => a.kind === 'confirm')!.message).toContain('operator action needed — Pull a cable');
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'done',
      evidence: { summary: 'operator confirmed 2 items' },
    });
    expect(w.nodes['kvm-a'].count(/^demo-create /)).toBe(1);
  });

  it('resume --yes --accept-gates after a gate stop records the gate as skipped, never as confirmed', async () => {
    const { f } = factory();
    const dir = tempDir();
    expect((await install({ answers: ANSWERS, state: dir, yes: true }, deps(f))).outcome).toBe('gate');
    expect((await resume({ state: dir, yes: true, acceptGates: true }, deps(f))).outcome).toBe('complete');
    const rec = readState(dir)!.tasks['check.failover']['kvm-a'];
    expect(rec.status).toBe('skipped');
    expect(rec.evidence?.summary).toContain('not run: passed over with --accept-gates');
  });

  it('a failure throws after the summary, with a hint to resume; resume then finishes', async () => {
    const { w, f } = factory();
    let fail = true;
    w.nodes['kvm-b'].inject = (what) =>
      fail && what.kind === 'exec' && what.cmd === 'demo-start' ? { code: 2, stderr: 'unit failed' } : undefined;
    const dir = tempDir();
    const err = await install({ answers: ANSWERS, state: dir, yes: true, acceptGates: true }, deps(f)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain('kvm-b: `demo-start` failed with exit code 2: unit failed');
    expect((err as { hint?: string }).hint).toBe(`fix the cause, then: anvil-install resume --state ${dir}`);
    expect(out.text()).toContain('✖ cluster/cluster.start on kvm-b failed');
    const st = statusText(dir, syntheticSteps());
    expect(st).toMatch(/^cluster +done \S+ \S+ +FAILED \S+ \S+$/m);
    fail = false;
    const r = await resume({ state: dir, yes: true, acceptGates: true }, deps(f));
    expect(r.outcome).toBe('complete');
    expect(r.executed).toEqual(['cluster.start@kvm-b']);
  });

  it('status prints a steps × nodes table with finish times and counts', async () => {
    const { f } = factory();
    const dir = tempDir();
    const steps: Step[] = [...syntheticSteps(), { id: 'later', title: 'Later', doc: '', tasks: [] }];
    await install({ answers: ANSWERS, state: dir, yes: true, to: 'disk' }, deps(f, steps));
    const text = statusText(dir, steps);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^STEP +KVM-A +KVM-B$/);
    expect(lines[1]).toMatch(/^prep +done \d{4}-\d\d-\d\d \d\d:\d\dZ +done \d{4}-\d\d-\d\d \d\d:\d\dZ$/);
    expect(lines[3]).toMatch(/^check +pending +-$/);
    expect(lines[5]).toMatch(/^later +not yet executable +not yet executable$/);
    expect(text).toContain('steps: 2 done, 2 pending, 1 not yet executable (of 5); tasks settled: 9/13');
    expect(text).toContain(`state folder: ${dir} (answers: ${resolve(ANSWERS)})`);
    expect(() => statusText(join(dir, 'nope'))).toThrow(/no install state/);
  });

  it('Ctrl-C: keeps the running task as running, saves, prints how to resume, exits 130, releases the lock', async () => {
    const { w, f } = factory();
    const signals = new EventEmitter();
    const exits: number[] = [];
    let release!: () => void;
    // the partition command hangs until the test lets it go; the operator presses Ctrl-C meanwhile
    w.nodes['kvm-a'].on('demo-mkpart', () => {
      signals.emit('SIGINT');
      return new Promise<void>((r) => (release = r));
    });
    const dir = tempDir();
    const run = install(
      { answers: ANSWERS, state: dir, yes: true, acceptGates: true },
      { ...deps(f), signals: true, signalSource: signals, exit: (c) => void exits.push(c) },
    );
    await expect(run).rejects.toBeInstanceOf(Interrupted);
    expect(exits).toEqual([130]);
    expect(out.errText()).toContain(`interrupted — resume with: anvil-install resume --state ${dir}`);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(readState(dir)!.tasks['disk.mkpart']['kvm-a'].status).toBe('running');
    release();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    // the partition was made after all: resume verifies it and does not make it again
    w.nodes['kvm-a'].vars.parts = 1;
    const r = await resume({ state: dir, yes: true, acceptGates: true }, deps(f));
    expect(r.outcome).toBe('complete');
    expect(r.executed).not.toContain('disk.mkpart@kvm-a');
    expect(readState(dir)!.tasks['disk.mkpart']['kvm-a']).toMatchObject({
      status: 'done',
      note: expect.stringContaining('interrupted earlier'),
    });
  });

  it('registers every command, in the order of --help; a run of one loads only that one', async () => {
    const names = (await buildProgram()).commands.map((c) => c.name());
    expect(names).toEqual([
      'init',
      'schema',
      'plan',
      'install',
      'resume',
      'status',
      'check',
      'render',
      'runbook',
      'lab',
    ]);
    const inst = (await buildProgram()).commands.find((c) => c.name() === 'install')!;
    expect(inst.options.map((o) => o.long)).toEqual(
      expect.arrayContaining([
        '--answers',
        '--state',
        '--yes',
        '--accept-gates',
        '--lab',
        '--from',
        '--to',
        '--only',
        '--force',
      ]),
    );
    const one = async (...args: string[]) =>
      (await buildProgram(['node', 'anvil-install', ...args])).commands.map((c) => c.name());
    expect(await one('lab', 'exec', 'an-node01', '--', 'true')).toEqual(['lab']);
    expect(await one('--no-color', 'plan', '--answers', 'x.yaml')).toEqual(['plan']);
    // NOTE: no command named: all, for the help and the "did you mean" of a mistyped one
    expect(await one('--help')).toHaveLength(10);
    expect(await one('instal', '--lab')).toHaveLength(10);
  });
});
