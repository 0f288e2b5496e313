/** `plan --json` and `status --json`: one parseable object each, with what the text shows; no secret. */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { planJson } from '../../src/commands/plan.js';
import { statusJson, statusText } from '../../src/commands/status.js';
import { makeWorld, runIn, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('--json', () => {
  it('plan --json: every step and task of the cluster, passwords masked', () => {
    const text = planJson({ answers: 'test/fixtures/other.anvil.yaml' }, undefined, { ...SECRETS });
    const doc = JSON.parse(text) as {
      format: string;
      nodes: string[];
      steps: { id: string; tasks: { id: string }[] }[];
    };
    expect(doc.format).toBe('anvil-install.plan/1');
    expect(doc.nodes).toEqual(['kvm-a', 'kvm-b']);
    expect(doc.steps.map((s) => s.id)).toContain('hosts');
    expect(doc.steps.find((s) => s.id === 'hosts')!.tasks.map((t) => t.id)).toEqual(['hosts.write']);
    for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
    const one = JSON.parse(planJson({ answers: 'test/fixtures/other.anvil.yaml', step: ['hosts'] }, undefined, {}));
    expect(one.steps.map((s: { id: string }) => s.id)).toEqual(['hosts']);
  });

  it('status --json: per step and node the standing, per task and node the status, and the counts', async () => {
    const w = makeWorld();
    const dir = tempDir();
    dirs.push(dir);
    await runIn(dir, { transports: w.transports, yes: true, to: 'disk' });
    const doc = JSON.parse(statusJson(dir, syntheticSteps()));
    expect(doc.format).toBe('anvil-install.status/1');
    expect(doc.steps.map((s: { id: string }) => s.id)).toEqual(['prep', 'disk', 'check', 'cluster']);
    expect(doc.steps[0].nodes['kvm-a'].standing).toBe('done');
    expect(doc.steps[3].tasks[0]).toEqual({
      id: 'cluster.create',
      kind: 'once',
      nodes: { 'kvm-a': { status: 'pending', finishedAt: null } },
    });
    expect(doc.counts).toMatchObject({ done: 2, pending: 2, tasksSettled: 9, tasks: 13 });
    // the same counts as the table
    expect(statusText(dir, syntheticSteps())).toContain('tasks settled: 9/13');
  });
});
