/**
 * Fast tier: the real fence_ipmilan (Debian fence-agents 4.x) against real BMCs (ipmi_sim), driven
 * by the tool's own fence-device options (`agentStdin`, what the fence tests' pre-check sends), from
 * the survivor's namespace, names resolved by the rendered /etc/hosts; the tool's parser reads the
 * real agent's answers. Status calls take ~0.3 s each. Slower cases (off/on/reboot, wrong password,
 * unreachable and slow BMCs) are in fence-ipmilan.real.ts (`npm run test:real`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentStdin, runAgent } from '../../steps/cluster-ops.js';
import { parseAgentStatus } from '../../src/verify/fence-agent.js';
import { renderFile } from '../../src/engine/render.js';
import { clusterConfSpec } from '../../steps/cluster-conf.js';
import { cleanup, netnsUnavailable } from './helpers/netns.js';
import { startFenceRig, type FenceRig } from './helpers/fence-rig.js';

const skip = netnsUnavailable(['ipmi_sim', 'fence_ipmilan', 'ss']);
if (skip) console.log(`[skip] real fence_ipmilan against ipmi_sim: ${skip} (apt-get install openipmi fence-agents)`);

describe.skipIf(skip)('fence_ipmilan 4.x against ipmi_sim, with the tool’s own options', () => {
  let rig: FenceRig;
  beforeAll(async () => {
    rig = await startFenceRig();
  });
  afterAll(async () => {
    await cleanup();
  });

  it('the options the tool sends are those it renders into cluster.conf', () => {
    const conf = renderFile(clusterConfSpec(rig.plan, 'foundation'), rig.plan, rig.plan.nodes[0]);
    for (const n of rig.nodes) {
      const line = conf
        .split('\n')
        .find((l) => l.includes(`name="${String(n.ipmi.name)}"`) && l.includes('<fencedevice '));
      expect(line, `<fencedevice name="${String(n.ipmi.name)}"> in cluster.conf`).toBeDefined();
      for (const kv of agentStdin(n.ipmi, undefined, 'status').trim().split('\n').slice(0, -1)) {
        const [k, v] = kv.split('=');
        expect(line).toContain(`${k}="${v}"`);
      }
    }
  });

  it('status from each survivor reads its peer’s BMC as on (exit 0, "Status: ON")', async () => {
    for (const [i, victim] of rig.nodes.entries()) {
      const survivor = rig.nodes[1 - i];
      const before = victim.bmc.calls().length;
      const own = survivor.bmc.calls().length;
      const r = await runAgent(survivor.handle, victim.ipmi, undefined, 'status');
      const st = parseAgentStatus(r.code, r.out);
      expect(st, r.out).toEqual({ power: 'on', form: 'fencing.py', line: 'Status: ON' });
      expect(r.code).toBe(0);
      // NOTE: the answer came from this BMC's chassis control, not from anywhere else.
      expect(victim.bmc.calls().slice(before)).toContain('get power');
      expect(survivor.bmc.calls().length).toBe(own);
    }
  });

  it('status of a powered-off node: "Status: OFF", exit 2; the pre-check refuses it', async () => {
    const [n1, n2] = rig.nodes;
    n1.bmc.setPower('off');
    try {
      const r = await runAgent(n2.handle, n1.ipmi, undefined, 'status');
      expect(r.code).toBe(2);
      expect(parseAgentStatus(r.code, r.out)).toEqual({ power: 'off', form: 'fencing.py', line: 'Status: OFF' });
    } finally {
      n1.bmc.setPower('on');
    }
  });

  it('lanplus (IPMI 2.0) with cipher suite 3, as an answers file may add them, reads the same', async () => {
    const [n1, n2] = rig.nodes;
    const r = await runAgent(n2.handle, { ...n1.ipmi, lanplus: 1, cipher: 3 }, undefined, 'status');
    expect(parseAgentStatus(r.code, r.out).power, r.out).toBe('on');
    expect(r.code).toBe(0);
  });

  it('a name the hosts file does not hold fails (exit 1), and the parser reports no power state', async () => {
    const [n1, n2] = rig.nodes;
    const r = await runAgent(n2.handle, { ...n1.ipmi, ipaddr: 'an-node09.ipmi' }, undefined, 'status');
    expect(r.code).toBe(1);
    const st = parseAgentStatus(r.code, r.out);
    expect(st.power).toBeUndefined();
    expect(st.line).toMatch(/Failed|ERROR|Unable/);
  });
});
