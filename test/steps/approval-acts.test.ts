/**
 * What the approval screens show of the steps that act hardest: the fence tests one by one (victim,
 * method, where, the exact command; passwords masked) and the network restart as it runs. At 80×24.
 */
import { describe, expect, it } from 'vitest';
import { fenceTests, fenceTestActs } from '../../steps/fence-tests.js';
import { network, restartCommands } from '../../steps/network.js';
import { previewStep, type PlannedRun } from '../../src/engine/step-preview.js';
import { approvalScreen } from '../../src/engine/approval.js';
import { derivePlan } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';

const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));

describe('approval screens show what they act on', () => {
  it('fence-tests lists its four tests, passwords masked', () => {
    expect(fenceTestActs(p)).toEqual([
      '1. an-node01 · 1 "ipmi" hang · an-node01: echo c > /proc/sysrq-trigger',
      '2. an-node01 · 2 "pdu" power cut · an-node02: fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o off',
      '3. an-node02 · 1 "ipmi" hang · an-node02: echo c > /proc/sysrq-trigger',
      '4. an-node02 · 2 "pdu" power cut · an-node01: fence_apc_snmp -a pdu2.alteeve.ca -n 2 -o off',
    ]);
    const withPw = derivePlan(
      loadAnswers('test/fixtures/other.anvil.yaml', { ILO_PW: 'ilo-secret', RICCI_PW: 'ricci-secret' }),
    );
    const acts = fenceTestActs(withPw).join('\n');
    expect(acts).not.toContain('ilo-secret');
  });

  it('at 80×24 the fence-tests screen keeps the title, the warnings and all four tests', async () => {
    const node = new FakeNode(p.nodes[0]);
    const runs: PlannedRun[] = [
      {
        task: fenceTests.tasks[0],
        key: p.nodes[0].name,
        pn: p.nodes[0],
        reason: 'new',
        ctx: fakeContext(p, node, node),
      },
    ];
    const preview = await previewStep(fenceTests, p, runs, 0, []);
    const s = approvalScreen(preview, p, 10, 20, { color: false, maxLines: 22, columns: 78 });
    const lines = s.split('\n');
    expect(lines.length).toBeLessThanOrEqual(16);
    expect(lines[0]).toBe('━━ Step 10 of 20 · fence-tests: Testing fencing');
    expect(s).toContain('⚠ `echo c > /proc/sysrq-trigger` will not return');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78);
    const joined = s.replace(/\n +/g, ' ');
    for (const a of fenceTestActs(p)) expect(joined).toContain(a);
  });

  it('the network restart shows the command as it runs and is not tagged safe', async () => {
    const restart = network.tasks.find((t) => t.id === 'network.restart')!;
    const node = new FakeNode(p.nodes[0]);
    expect(await restart.preview!(fakeContext(p, node, node))).toEqual(restartCommands());
    expect(restartCommands()[1]).toMatch(
      /^nohup sh -c 'sleep 1; \/etc\/init\.d\/network restart .*' >\/dev\/null 2>&1 &$/,
    );
    const runs: PlannedRun[] = [
      { task: restart, key: p.nodes[0].name, pn: p.nodes[0], reason: 'new', ctx: fakeContext(p, node, node) },
    ];
    const s = approvalScreen(await previewStep(network, p, runs, 0, []), p, 5, 20, {
      color: false,
      maxLines: Infinity,
    });
    expect(s).toContain(`$ ${restartCommands()[1]}`);
    expect(s).toMatch(/Restart the network and check the bonds +\[re-runnable, disruptive; /);
    expect(s).not.toMatch(/\[safe; each node/);
  });
});
