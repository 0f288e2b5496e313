/**
 * `reapply` (what `check --only STEP --force` runs): the done tasks of the selected step run again
 * by the resume rules; a `once` task still asks its done probe, a first-build transition and a
 * settled gate are kept.
 */
import { describe, expect, it } from 'vitest';
import { FakePrompter } from '../../src/engine/prompts.js';
import { readState } from '../../src/state/store.js';
import type { Step } from '../../src/engine/types.js';
import { makeWorld, runIn, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

async function installed(steps: Step[] = syntheticSteps()) {
  const w = makeWorld();
  const dir = tempDir();
  const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps });
  expect(r.outcome).toBe('complete');
  return { w, dir, steps };
}

describe('runner: reapply', () => {
  it('without it, --only STEP keeps a done step; with it, the step runs again and mends a tampered file', async () => {
    const { w, dir, steps } = await installed();
    const conf = w.nodes['kvm-a'].files.get('/etc/demo.conf')!;
    const good = conf.data;
    conf.data = 'tampered\n';
    const kept = await runIn(dir, { transports: w.transports, yes: true, only: 'prep', steps });
    expect(kept.outcome).toBe('complete');
    expect(kept.executed).toEqual([]);
    expect(conf.data).toBe('tampered\n');
    const again = await runIn(dir, { transports: w.transports, yes: true, only: 'prep', reapply: true, steps });
    expect(again.outcome).toBe('complete');
    expect(again.executed.sort()).toEqual(['prep.conf@kvm-a', 'prep.conf@kvm-b', 'prep.macs@kvm-a', 'prep.macs@kvm-b']);
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toBe(good);
    expect(readState(dir)!.tasks['prep.conf']['kvm-a'].runs).toBe(2);
  });

  it('a once task consults its done probe and is not run again; a safe one is', async () => {
    const { w, dir, steps } = await installed();
    const r = await runIn(dir, { transports: w.transports, yes: true, only: 'disk', reapply: true, steps });
    expect(r.outcome).toBe('complete');
    expect(r.executed).not.toContain('disk.mkpart@kvm-a');
    expect(r.executed).toContain('disk.lvm@kvm-a');
    for (const n of Object.values(w.nodes)) expect(n.count(/^demo-mkpart$/)).toBe(1);
    expect(readState(dir)!.tasks['disk.mkpart']['kvm-a'].note).toMatch(/done probe/);
  });

  it('keeps a settled gate (no question, no test) and a first-build transition', async () => {
    const steps = syntheticSteps();
    steps.find((s) => s.id === 'cluster')!.tasks.find((t) => t.id === 'cluster.start')!.firstBuildOnly =
      'started once by hand';
    const { w, dir } = await installed(steps);
    // NOTE: the fake prompter has no answers: any question (a gate's checklist) would fail the run.
    const gate = await runIn(dir, {
      transports: w.transports,
      only: 'check',
      reapply: true,
      steps,
      prompter: new FakePrompter({}),
    });
    expect(gate.outcome).toBe('complete');
    expect(gate.executed).toEqual([]);
    expect(readState(dir)!.tasks['check.failover']['kvm-a'].status).toBe('skipped');
    const cluster = await runIn(dir, { transports: w.transports, yes: true, only: 'cluster', reapply: true, steps });
    expect(cluster.outcome).toBe('complete');
    expect(cluster.executed).toEqual([]);
    expect(readState(dir)!.tasks['cluster.start']['kvm-a'].note).toMatch(/^kept: started once by hand/);
    for (const n of Object.values(w.nodes)) expect(n.count(/^demo-start$/)).toBe(1);
  });
});
