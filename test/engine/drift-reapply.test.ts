/**
 * Drift on a finished install: `install` re-checks the done tasks of each step before its approval;
 * a drifted safe task is offered again under that approval (its file as a diff), a drifted `once`
 * task is only reported, never re-run, and nothing else is re-opened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { FakePrompter } from '../../src/engine/prompts.js';
import { APPROVE, makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('install on a finished install with drift', () => {
  it('offers the drifted safe tasks again under the step approval, reports a drifted once task, re-runs nothing else', async () => {
    const w = makeWorld();
    const dir = tempDir();
    dirs.push(dir);
    expect((await runIn(dir, { transports: w.transports, yes: true, acceptGates: true })).outcome).toBe('complete');
    // by hand: kvm-a's demo.conf edited, kvm-a's service stopped, a second partition on kvm-b
    const conf = w.nodes['kvm-a'].files.get('/etc/demo.conf')!;
    w.nodes['kvm-a'].files.set('/etc/demo.conf', { ...conf, data: conf.data.replace(/^node = .*$/m, 'node = wrong') });
    w.nodes['kvm-a'].vars.started = false;
    w.nodes['kvm-b'].vars.parts = 2;

    const prompter = new FakePrompter({ ...APPROVE, 'write /etc/demo.conf': 'approve' });
    const r = await runIn(dir, { transports: w.transports, prompter });
    expect(r.outcome).toBe('complete');
    expect(r.executed.sort()).toEqual(['cluster.start@kvm-a', 'prep.conf@kvm-a']);
    const screens = prompter.asked.filter((q) => q.message.includes('Approve step')).map((q) => q.message);
    const prep = screens.find((s) => s.includes('prep: Prepare'))!;
    expect(prep).toMatch(/DRIFT: 1 done task×node record of this step no longer check/);
    expect(prep).toMatch(
      /prep\.conf on kvm-a: DRIFT — \/etc\/demo\.conf on kvm-a differs; `install` re-applies it after asking/,
    );
    expect(prep).toMatch(/-node = wrong\n\s+\+node = kvm-a/);
    const disk = screens.find((s) => s.includes('disk: Disk'))!;
    expect(disk).toMatch(
      /disk\.mkpart on kvm-b: DRIFT — expected 1 partition; saw 2 partitions; reported only \(destructive: never re-run/,
    );
    expect(screens.find((s) => s.includes('cluster: Cluster'))).toMatch(
      /cluster\.start on kvm-a: DRIFT — expected running; saw stopped; `install` re-applies it after asking/,
    );
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toContain('node = kvm-a');
    expect(w.nodes['kvm-a'].vars.started).toBe(true);
    expect(w.nodes['kvm-b'].vars.parts).toBe(2);

    // and with the drift of the safe tasks put back, the next run offers only the report
    const again = new FakePrompter({ ...APPROVE });
    const r2 = await runIn(dir, { transports: w.transports, prompter: again });
    expect(r2.executed).toEqual([]);
    expect(again.asked.map((q) => q.message).filter((m) => m.includes('DRIFT')).length).toBe(1);
  });
});
