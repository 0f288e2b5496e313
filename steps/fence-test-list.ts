/**
 * The fence tests of a cluster (one per fence method of each node) as data: what the step shows and
 * the runbook prints (fence-tests.ts) and what the tool drives (fence-drive.ts) read the same list.
 */
import type { Plan, PlanNode } from '../src/plan/derive.js';
import { fenceAgentCommand } from './cluster-conf.js';

/** The command that hangs a node (magic SysRq "c": crash dump). */
export const HANG = 'echo c > /proc/sysrq-trigger';

/** One fence test: what is run, against which node, from where, and what syslog shows. */
export interface FenceTest {
  victim: PlanNode;
  survivor: PlanNode;
  /** Index of the fence method this test exercises. */
  method: number;
  /** The command(s) the operator runs: the hang on the victim, or the power cut on the survivor. */
  commands: string[];
  /** Where the commands run. */
  runOn: PlanNode;
}

/** The fence tests of this cluster, in the tutorial's order (node 1's tests, then node 2's). */
export function fenceTestList(p: Plan): FenceTest[] {
  return p.nodes.flatMap((victim) => {
    const survivor = p.peerOf(victim);
    return victim.fence.map((m, i): FenceTest =>
      i === 0
        ? { victim, survivor, method: i, commands: [HANG], runOn: victim }
        : {
            victim,
            survivor,
            method: i,
            commands: m.devices.map((d) => fenceAgentCommand(d.device, d.port, 'off')),
            runOn: survivor,
          },
    );
  });
}
