/**
 * "still to do" after a run: an item a later reboot of the same run settled (its probe says so as
 * the run ends) is dropped; one the nodes do not show settled, or cannot be asked about, stays.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../../src/engine/types.js';
import { RunLog, RUN_LOG_FILE } from '../../src/engine/run-log.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const steps = (): Step[] => [
  {
    id: 'mode',
    title: 'Set the mode',
    doc: 'takes effect at the next boot',
    tasks: [
      {
        id: 'mode.set',
        title: 'Set it',
        on: 'both',
        kind: 'safe',
        async run(ctx) {
          const mode = async () => (await ctx.node.sh('demo-mode')).trim();
          ctx.todo!(
            `${ctx.node.plan.name}: mode is ${await mode()} now; reboot for new to take effect`,
            async () => (await mode()) === 'new',
          );
        },
        verify: async () => ({ summary: 'set' }),
      },
    ],
  },
  {
    id: 'crash',
    title: 'A test that power-cycles node 1',
    doc: 'a reboot of node 1 only',
    tasks: [
      {
        id: 'crash.node1',
        title: 'Power-cycle',
        on: 'node1',
        kind: 'safe',
        commands: () => ['demo-boot'],
        verify: async () => ({ summary: 'back' }),
      },
    ],
  },
];

describe('the closing summary\'s "still to do"', () => {
  it('drops what a later reboot settled and keeps the rest', async () => {
    const w = makeWorld();
    for (const n of Object.values(w.nodes))
      n.on('demo-mode', (_m, x) => ({ stdout: x.vars.booted ? 'new\n' : 'old\n' })).on('demo-boot', (_m, x) => {
        x.vars.booted = true;
      });
    const dir = tempDir();
    dirs.push(dir);
    const runLog = new RunLog(dir, [], 'test');
    const r = await runIn(dir, { transports: w.transports, steps: steps(), yes: true, runLog });
    expect(r.outcome).toBe('complete');
    const todo = runLog.summaryLines().join('\n');
    expect(todo).toContain('still to do:');
    expect(todo).toContain('- kvm-b: mode is old now; reboot for new to take effect');
    expect(todo).not.toContain('kvm-a: mode is');
    runLog.close('done');
    expect(readFileSync(join(dir, RUN_LOG_FILE), 'utf8')).toContain(
      'no longer to do, settled since: kvm-a: mode is old now; reboot for new to take effect',
    );
  });

  it('keeps an item whose probe cannot reach the node', async () => {
    const w = makeWorld();
    for (const n of Object.values(w.nodes))
      n.on('demo-mode', () => ({ stdout: 'old\n' })).on('demo-boot', () => undefined);
    const dir = tempDir();
    dirs.push(dir);
    const runLog = new RunLog(dir, [], 'test');
    w.nodes['kvm-a'].on('demo-boot', (_m, x) => {
      x.on('demo-mode', () => {
        throw new Error('connection lost');
      });
    });
    await runIn(dir, { transports: w.transports, steps: steps(), yes: true, runLog });
    const todo = runLog.summaryLines().join('\n');
    expect(todo).toContain('- kvm-a: mode is old now');
    expect(todo).toContain('- kvm-b: mode is old now');
    runLog.close('done');
  });
});
