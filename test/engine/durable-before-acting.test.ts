/**
 * A task's completion is on disk before any later task touches a node (seed 202 of the kill
 * campaign: node 1's `new-current-uuid` finished, its record was still only in memory when both
 * nodes stopped DRBD, and the kill there left a record whose done probe could never pass again).
 * The checkpoint coalesces writes, so this holds only because the runner writes at once before acting.
 */
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/store.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

describe('durable before acting', () => {
  it('at every remote action, each task that acted earlier on that node is done on disk', async () => {
    const w = makeWorld();
    const dir = tempDir();
    /** Per node: the task running on disk at each action, in order. */
    const seen: Record<string, string[]> = {};
    const problems: string[] = [];
    for (const n of Object.values(w.nodes))
      n.inject = (what, node) => {
        const disk = readState(dir);
        if (!disk) return undefined;
        const running = Object.entries(disk.tasks)
          .filter(([, r]) => r[node.name]?.status === 'running')
          .map(([t]) => t);
        const label = what.kind === 'exec' ? what.cmd : `write ${what.path}`;
        // NOTE: none running is a read outside any task's run (a done probe, a peer's verify reading this node).
        if (running.length > 1) problems.push(`${node.name} ${label}: on disk running ${JSON.stringify(running)}`);
        const list = (seen[node.name] ??= []);
        if (running[0] && list.at(-1) !== running[0]) list.push(running[0]);
        // NOTE: every task seen acting earlier on this node is done on disk now.
        for (const t of list.slice(0, -1))
          if (disk.tasks[t]?.[node.name]?.status !== 'done')
            problems.push(
              `${node.name} ${label}: ${t} acted earlier but is ${disk.tasks[t]?.[node.name]?.status} on disk`,
            );
        return undefined;
      };
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true }, (_runner, store) => {
      // NOTE: coalescing wide open: only the runner's own urgent writes reach the disk during the run.
      store.minIntervalMs = 3_600_000;
    });
    expect(r.outcome).toBe('complete');
    expect(problems).toEqual([]);
    // NOTE: the check means something only if several tasks acted on each node.
    for (const n of Object.keys(w.nodes)) expect(seen[n]?.length ?? 0).toBeGreaterThan(3);
  });
});
