/**
 * Slow tier (`npm run test:real`): the real fence_ipmilan 4.x against ipmi_sim BMCs with the tool's
 * own options, for every action the tool sends and the failures it must recognise: off, off again,
 * on, reboot (the chassis sees off then on), a wrong password, a BMC that does not answer, a BMC that
 * answers slowly (within and beyond the agent's patience). Each call's options, output, exit code and
 * time are printed: the transcript of a real fence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentStdin, runAgent } from '../../steps/cluster-ops.js';
import { parseAgentAction, parseAgentStatus } from '../../src/verify/fence-agent.js';
import type { FenceDeviceAnswers } from '../../src/plan/schema.js';
import { cleanup, netnsUnavailable } from './helpers/netns.js';
import { startFenceRig, type FenceRig, type RigNode } from './helpers/fence-rig.js';

const skip = netnsUnavailable(['ipmi_sim', 'fence_ipmilan', 'ss']);
if (skip) console.log(`[skip] real fence_ipmilan against ipmi_sim: ${skip} (apt-get install openipmi fence-agents)`);

/** Run the agent as the tool does and print the transcript (password masked). */
async function agent(from: RigNode, dev: FenceDeviceAnswers, action: 'on' | 'off' | 'reboot' | 'status') {
  const t0 = Date.now();
  const r = await runAgent(from.handle, dev, undefined, action);
  const ms = Date.now() - t0;
  const stdin = agentStdin(dev, undefined, action).replace(/^passwd=.*$/m, 'passwd=********');
  console.log(
    `--- on ${from.plan.name}: printf '${stdin.replace(/\n/g, '\\n')}' | fence_ipmilan\n${r.out}\n--- exit ${r.code}, ${ms} ms`,
  );
  return { ...r, ms };
}

describe.skipIf(skip)('fence_ipmilan 4.x against ipmi_sim: actions and failures', () => {
  let rig: FenceRig;
  let n1: RigNode;
  let n2: RigNode;
  beforeAll(async () => {
    rig = await startFenceRig();
    [n1, n2] = rig.nodes;
  });
  afterAll(async () => {
    await cleanup();
  });

  it('off: "Success: Powered OFF", the chassis was told to power off, status then reads off', async () => {
    const r = await agent(n2, n1.ipmi, 'off');
    expect(parseAgentAction('off', r.code, r.out)).toEqual({
      ok: true,
      form: 'fencing.py',
      line: 'Success: Powered OFF',
    });
    expect(n1.bmc.calls()).toContain('set power 0');
    expect(n1.bmc.power()).toBe('off');
    const s = await agent(n2, n1.ipmi, 'status');
    expect(parseAgentStatus(s.code, s.out).power).toBe('off');
  });

  it('off again: "Success: Already OFF" (exit 0), no second power-off', async () => {
    const before = n1.bmc.calls().filter((c) => c === 'set power 0').length;
    const r = await agent(n2, n1.ipmi, 'off');
    expect(parseAgentAction('off', r.code, r.out)).toEqual({
      ok: true,
      form: 'fencing.py',
      line: 'Success: Already OFF',
    });
    expect(n1.bmc.calls().filter((c) => c === 'set power 0').length).toBe(before);
  });

  it('on: "Success: Powered ON"', async () => {
    const r = await agent(n2, n1.ipmi, 'on');
    expect(parseAgentAction('on', r.code, r.out)).toEqual({
      ok: true,
      form: 'fencing.py',
      line: 'Success: Powered ON',
    });
    expect(n1.bmc.power()).toBe('on');
  });

  it('reboot (the action cluster.conf gives the IPMI method): off then on at the chassis, "Success: Rebooted"', async () => {
    const before = n2.bmc.calls().length;
    const r = await agent(n1, n2.ipmi, 'reboot');
    expect(parseAgentAction('reboot', r.code, r.out)).toEqual({
      ok: true,
      form: 'fencing.py',
      line: 'Success: Rebooted',
    });
    const sets = n2.bmc
      .calls()
      .slice(before)
      .filter((c) => c.startsWith('set power'));
    expect(sets).toEqual(['set power 0', 'set power 1']);
    expect(n2.bmc.power()).toBe('on');
  });

  it('a slow BMC (2 s per chassis answer) still answers: status on, after the wait', async () => {
    n1.bmc.setDelay(2);
    try {
      const r = await agent(n2, n1.ipmi, 'status');
      expect(parseAgentStatus(r.code, r.out).power).toBe('on');
      expect(r.ms).toBeGreaterThanOrEqual(2000);
    } finally {
      n1.bmc.setDelay(0);
    }
  });

  // NOTE: the agent's own timeouts make each of these wait 8 to 18 s; they fence different BMCs (a
  // wrong password at node 2's, a slow answer from node 1's), so they wait side by side. (A nested
  // sequential suite is not run beside its concurrent siblings: the stopped BMC comes after.)
  describe.concurrent('failures that take the agent its full patience', () => {
    it('a wrong password: exit 1, a failure line, no power change', async () => {
      const wrong = { ...n2.ipmi, passwd: 'wrong-password' };
      const [r, s] = await Promise.all([agent(n1, wrong, 'off'), agent(n1, wrong, 'status')]);
      expect(r.code).toBe(1);
      const a = parseAgentAction('off', r.code, r.out);
      expect(a.ok).toBe(false);
      expect(a.line).toMatch(/Failed/);
      expect(n2.bmc.power()).toBe('on');
      expect(parseAgentStatus(s.code, s.out).power).toBeUndefined();
    });

    it('a BMC slower than the agent’s patience (10 s per answer): exit 1, no power state', async () => {
      n1.bmc.setDelay(10);
      try {
        const r = await agent(n2, n1.ipmi, 'status');
        expect(r.code).toBe(1);
        expect(parseAgentStatus(r.code, r.out).power).toBeUndefined();
      } finally {
        n1.bmc.setDelay(0);
      }
    });
  });

  it('an unreachable BMC (ipmi_sim stopped): exit 1 and "Failed", for status and off', async () => {
    await n1.bmc.kill();
    // NOTE: both wait out the agent's timeouts (~10 s each): side by side, as two fenced daemons would.
    const [s, r] = await Promise.all([agent(n2, n1.ipmi, 'status'), agent(n2, n1.ipmi, 'off')]);
    expect(s.code).toBe(1);
    expect(parseAgentStatus(s.code, s.out).power).toBeUndefined();
    expect(r.code).toBe(1);
    expect(parseAgentAction('off', r.code, r.out).ok).toBe(false);
  });
});
