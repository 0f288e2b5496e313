/**
 * `install --limit NODE`: the selected steps run on that node only, and only steps whose part on each
 * node stands alone (`perNode`) may be selected; the other node's part is left for a later run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { Step } from '../../src/engine/types.js';
import { UsageError } from '../../src/errors.js';
import { readState, StateStore } from '../../src/state/store.js';
import { summaryLines } from '../../src/engine/runner.js';
import { buildProgram } from '../../src/cli.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';
import { STEPS } from '../../steps/index.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const steps = (): Step[] => [
  {
    id: 'own',
    title: 'Each node on its own',
    doc: '',
    perNode: true,
    tasks: [
      {
        id: 'own.start',
        title: 'Start',
        on: 'both',
        kind: 'safe',
        commands: () => ['demo-start'],
        verify: async (ctx) => ({ summary: (await ctx.node.sh('demo-status')).trim() }),
      },
    ],
  },
  {
    id: 'joint',
    title: 'Both nodes together',
    doc: '',
    tasks: [
      {
        id: 'joint.create',
        title: 'Create',
        on: 'node1',
        kind: 'safe',
        commands: () => ['demo-start'],
        verify: async () => ({ summary: 'ok' }),
      },
    ],
  },
];

describe('install --limit NODE', () => {
  it("runs the selected per-node steps on that node only; the other node's part runs later", async () => {
    const w = makeWorld();
    const dir = tempDir();
    dirs.push(dir);
    const r = await runIn(dir, { transports: w.transports, steps: steps(), yes: true, to: 'own', limit: 'kvm-b' });
    expect(r.outcome).toBe('complete');
    expect(r.executed).toEqual(['own.start@kvm-b']);
    expect(w.nodes['kvm-a'].count(/^demo-start$/)).toBe(0);
    expect(w.nodes['kvm-b'].count(/^demo-start$/)).toBe(1);
    expect(readState(dir)!.tasks['own.start']).toEqual({ 'kvm-b': expect.objectContaining({ status: 'done' }) });
    const store = StateStore.open(dir);
    try {
      expect(summaryLines(steps(), store, r, 'runbook')[1]).toBe(
        "✔ every selected step is done on kvm-b (--limit): the other node's part is not; run them without --limit",
      );
    } finally {
      store.close();
    }
    // a later run without --limit does node 1's part, and node 2's is kept
    const r2 = await runIn(dir, { transports: w.transports, steps: steps(), yes: true });
    expect(r2.executed).toEqual(['own.start@kvm-a', 'joint.create@kvm-a']);
  });

  it('refuses a step both nodes take part in, and a node the answers do not name', async () => {
    const w = makeWorld();
    const dir = tempDir();
    dirs.push(dir);
    const e = await runIn(dir, { transports: w.transports, steps: steps(), yes: true, limit: 'kvm-a' }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toBe('--limit kvm-a: joint needs both nodes');
    expect((e as UsageError).hint).toContain('steps that run on one node alone: own');
    expect(w.nodes['kvm-a'].count(/^demo-start$/)).toBe(0);
    const e2 = await runIn(dir, { transports: w.transports, steps: steps(), yes: true, limit: 'kvm-c' }).catch(
      (x: unknown) => x,
    );
    expect(e2).toBeInstanceOf(UsageError);
    expect((e2 as UsageError).message).toBe('--limit kvm-c: no such node');
  });

  it('is in install --help', async () => {
    expect((await buildProgram()).commands.find((c) => c.name() === 'install')!.helpInformation()).toContain(
      '--limit <node>',
    );
  });

  it("the tutorial's steps that run on one node alone: up to /etc/hosts, the packages and DRBD's install and partitions", () => {
    expect(STEPS.filter((s) => s.perNode).map((s) => s.id)).toEqual([
      'preflight',
      'nics',
      'security',
      'net-daemons',
      'network',
      'hosts',
      'packages',
      'drbd-install',
      'drbd-partitions',
    ]);
  });
});
