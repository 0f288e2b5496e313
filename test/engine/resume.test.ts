/**
 * Resume after a fault at every position of a run: every remote action (command or file write) in
 * turn fails or "crashes" the installer, then a resume finishes. The end must equal an
 * uninterrupted run, and no `once` task may ever execute twice.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { readState } from '../../src/state/store.js';
import { decide } from '../../src/engine/resume.js';
import type { Injector, MemoryNode } from '../helpers/memory-transport.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

/** What must come out the same: statuses, captured values, every file on both nodes, node-side state. */
function outcome(dir: string, nodes: Record<string, MemoryNode>) {
  const s = readState(dir)!;
  return {
    statuses: Object.fromEntries(
      Object.entries(s.tasks).map(([id, r]) => [
        id,
        Object.fromEntries(Object.entries(r).map(([n, x]) => [n, x.status])),
      ]),
    ),
    captured: s.captured,
    files: Object.fromEntries(Object.entries(nodes).map(([n, x]) => [n, x.snapshot()])),
    vars: Object.fromEntries(Object.entries(nodes).map(([n, x]) => [n, x.vars])),
  };
}

function onceCounts(nodes: Record<string, MemoryNode>) {
  return {
    mkpartA: nodes['kvm-a'].count(/^demo-mkpart$/),
    mkpartB: nodes['kvm-b'].count(/^demo-mkpart$/),
    createA: nodes['kvm-a'].count(/^demo-create /),
    createB: nodes['kvm-b'].count(/^demo-create /),
  };
}

const OPTS = { yes: true, acceptGates: true } as const;

async function baseline() {
  const w = makeWorld();
  const dir = tempDir();
  let actions = 0;
  for (const n of Object.values(w.nodes)) n.inject = () => void actions++;
  const r = await runIn(dir, { transports: w.transports, ...OPTS });
  expect(r.outcome).toBe('complete');
  return { actions, result: outcome(dir, w.nodes) };
}

/** Inject at the k-th action (counted over both nodes). */
function injectAt(nodes: Record<string, MemoryNode>, k: number, fault: Injector): { hit: () => string | undefined } {
  let i = 0;
  let hit: string | undefined;
  for (const n of Object.values(nodes))
    n.inject = (what, node) => {
      if (i++ !== k) return undefined;
      hit = `${node.name} ${what.kind === 'exec' ? what.cmd : `write ${what.path}`}`;
      return fault(what, node);
    };
  return { hit: () => hit };
}

describe('resume after a fault at every position', async () => {
  const base = await baseline();
  const positions = Array.from({ length: base.actions }, (_, k) => k);

  it('the baseline touches enough positions to mean something', () => {
    expect(base.actions).toBeGreaterThan(20);
    expect(base.result.vars['kvm-a']).toMatchObject({ parts: 1, created: 1 });
  });

  for (const afterwards of [false, true]) {
    it.each(positions)(
      `failure ${afterwards ? 'after the action happened' : 'instead of the action'} at position %i, then resume`,
      async (k) => {
        const w = makeWorld();
        const dir = tempDir();
        const inj = injectAt(w.nodes, k, () => ({ code: 1, stderr: 'injected failure', afterwards }));
        const first = await runIn(dir, { transports: w.transports, ...OPTS });
        expect(inj.hit(), 'the fault was injected').toBeDefined();
        // NOTE: a probe that reads the exit code as data (`demo-created`: 1 = not there) is not a failure.
        if (first.outcome === 'complete') expect(inj.hit()).toMatch(/ demo-created$/);
        else expect(first.outcome, `run with a fault at ${inj.hit()}`).toBe('failed');
        for (const n of Object.values(w.nodes)) n.inject = undefined;
        const second = await runIn(dir, { transports: w.transports, ...OPTS });
        expect(second.outcome).toBe('complete');
        expect(outcome(dir, w.nodes)).toEqual(base.result);
        expect(onceCounts(w.nodes)).toEqual({ mkpartA: 1, mkpartB: 1, createA: 1, createB: 0 });
      },
    );

    it.each(positions)(
      `installer killed ${afterwards ? 'after' : 'before'} the action at position %i, then resume`,
      async (k) => {
        const w = makeWorld();
        const dir = tempDir();
        const crashDir = tempDir('anvil-crash-');
        let dead = false;
        const inj = injectAt(w.nodes, k, (what, node) => {
          // NOTE: a kill -9 at this instant leaves exactly the state.json on disk now.
          copyFileSync(join(dir, 'state.json'), join(crashDir, 'state.json'));
          dead = true;
          if (afterwards) return { afterwards: true, code: 1, stderr: 'connection lost' };
          throw new Error(`${node.name}: connection lost before ${what.kind}`);
        });
        // a dead installer does nothing more: every later action of the old run fails
        for (const n of Object.values(w.nodes)) {
          const first = n.inject!;
          n.inject = (what, node) => {
            if (dead) throw new Error('installer is dead');
            return first(what, node);
          };
        }
        await runIn(dir, { transports: w.transports, ...OPTS });
        expect(inj.hit(), 'the crash was injected').toBeDefined();
        for (const n of Object.values(w.nodes)) n.inject = undefined;
        const resumed = await runIn(crashDir, { transports: w.transports, ...OPTS });
        expect(resumed.outcome, `resume after a crash at ${inj.hit()}`).toBe('complete');
        expect(outcome(crashDir, w.nodes)).toEqual(base.result);
        expect(onceCounts(w.nodes)).toEqual({ mkpartA: 1, mkpartB: 1, createA: 1, createB: 0 });
      },
    );
  }
});

describe('decide', () => {
  it('keeps settled unchanged work, re-opens changed or later work, verifies interrupted work first', () => {
    expect(decide(undefined, 'h', false)).toEqual({ action: 'run', reopen: false, reason: 'new' });
    expect(decide({ status: 'done', inputHash: 'h' }, 'h', false)).toEqual({ action: 'keep' });
    expect(decide({ status: 'skipped', inputHash: 'h' }, 'h', false)).toEqual({ action: 'keep' });
    expect(decide({ status: 'done', inputHash: 'h' }, 'h2', false)).toEqual({
      action: 'run',
      reopen: true,
      reason: 'changed',
    });
    expect(decide({ status: 'done', inputHash: 'h' }, 'h', true)).toEqual({
      action: 'run',
      reopen: true,
      reason: 'reopened',
    });
    expect(decide({ status: 'running', inputHash: 'h' }, 'h', false)).toEqual({
      action: 'verify-first',
      reopen: false,
    });
    expect(decide({ status: 'running', inputHash: 'h' }, 'h2', false)).toEqual({
      action: 'verify-first',
      reopen: true,
    });
    expect(decide({ status: 'failed', inputHash: 'h' }, 'h', false)).toEqual({
      action: 'run',
      reopen: false,
      reason: 'retry',
    });
  });
});
