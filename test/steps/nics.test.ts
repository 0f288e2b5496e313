import { describe, expect, it } from 'vitest';
import { nics, readNics, nicDifferences, type NicMap } from '../../steps/nics.js';
import { derivePlan } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';
import { AnvilError } from '../../src/errors.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';
import { tutorialPlan, ipLinkBefore, ipLinkBonded, bondText } from '../helpers/tutorial-node.js';

const capture = nics.tasks[0];
const p = tutorialPlan();
const [n1] = p.nodes;

/** The tutorial plan without MACs in the answers (capture mode). */
function planWithoutNics() {
  const a = loadAnswers('examples/tutorial.anvil.yaml', {});
  for (const n of a.nodes) delete n.nics;
  return derivePlan(a);
}

describe('readNics', () => {
  it('reads ethN MACs, upper-cased, in order', async () => {
    const node = new FakeNode(n1).on('ip -o link show', ipLinkBefore(n1));
    expect([...(await readNics(node))]).toEqual([
      ['eth0', '00:E0:81:C7:EC:49'],
      ['eth1', '00:E0:81:C7:EC:48'],
      ['eth2', '00:E0:81:C7:EC:47'],
      ['eth3', '00:1B:21:9D:59:FC'],
      ['eth4', '00:1B:21:BF:70:02'],
      ['eth5', '00:1B:21:BF:6F:FE'],
    ]);
  });

  it('takes the permanent MAC of bond slaves from /proc/net/bonding (ip link shows the bond MAC)', async () => {
    const node = new FakeNode(n1).on('ip -o link show', ipLinkBonded(n1));
    for (const b of n1.bonds) node.files.set(`/proc/net/bonding/${b.dev}`, bondText(n1, b.dev));
    expect((await readNics(node)).get('eth3')).toBe('00:1B:21:9D:59:FC');
  });
});

describe('nics.capture', () => {
  it('with MACs in the answers: checks them against the node and records them', async () => {
    const node = new FakeNode(n1).on('ip -o link show', ipLinkBefore(n1));
    const ctx = fakeContext(p, node, node);
    await capture.run!(ctx);
    expect(ctx.prompter.asked).toEqual([]);
    expect(ctx.store.get('nics.an-node01')).toEqual(n1.nics);
    expect((await capture.verify!(ctx)).summary).toMatch(/^6 MACs recorded: BCN link 1=00:E0:81:C7:EC:49 /);
  });

  it('fails naming the role whose MAC from the answers is on no NIC of the node', async () => {
    const node = new FakeNode(n1).on(
      'ip -o link show',
      ipLinkBefore(n1).replace('00:1b:21:bf:70:02', '00:1b:21:bf:70:99'),
    );
    const err = await capture.run!(fakeContext(p, node, node)).catch((e) => e);
    expect(err).toBeInstanceOf(AnvilError);
    expect(err.message).toBe(
      'an-node01: MACs of nodes[0].nics not found: SN link 2 (eth4) 00:1B:21:BF:70:02: no NIC on an-node01 has it',
    );
  });

  it('MACs under other kernel names are recorded for the naming task, which says where each MAC is', async () => {
    const node = new FakeNode(n1).on('ip -o link show', ipLinkBefore(n1));
    const swapped = { ...n1.nics!, bcn: [n1.nics!.bcn[1], n1.nics!.bcn[0]] };
    const ctx = fakeContext(p, node, node, { captured: new Map([['nics.an-node01', swapped]]) });
    expect((await capture.verify!(ctx)).summary).toMatch(/BCN link 1=00:1B:21:9D:59:FC/);
    expect(nicDifferences(n1, swapped as NicMap, await readNics(node)).join('; ')).toContain(
      'eth0 (BCN link 1) should be 00:1B:21:9D:59:FC but is 00:E0:81:C7:EC:49; 00:1B:21:9D:59:FC is eth3',
    );
  });

  it('a missing NIC is an error naming it and its role', async () => {
    const node = new FakeNode(n1).on('ip -o link show', ipLinkBefore(n1, ['eth5']));
    await expect(capture.run!(fakeContext(p, node, node))).rejects.toThrow(
      'found 5 (eth0, eth1, eth2, eth3, eth4); missing eth5 (IFN link 2)',
    );
  });

  it('without MACs in the answers: proposes the tutorial map, the operator confirms (or --yes), MACs are captured', async () => {
    const q = planWithoutNics();
    const node = new FakeNode(q.nodes[0]).on('ip -o link show', ipLinkBefore(n1));
    const ctx = fakeContext(q, node, node);
    await capture.run!(ctx);
    expect(ctx.prompter.asked).toEqual(['Use this NIC map for an-node01?']);
    expect(ctx.store.get('nics.an-node01')).toEqual({
      bcn: ['00:E0:81:C7:EC:49', '00:1B:21:9D:59:FC'],
      sn: ['00:E0:81:C7:EC:48', '00:1B:21:BF:70:02'],
      ifn: ['00:E0:81:C7:EC:47', '00:1B:21:BF:6F:FE'],
    });
    expect(ctx.logs[0]).toContain('eth3\t00:1B:21:9D:59:FC\t# Back-Channel Network - Link 2');
    await capture.verify!(ctx);
  });

  it('an operator may reassign roles: the MACs are recorded by role and the naming task renames', async () => {
    const q = planWithoutNics();
    const node = new FakeNode(q.nodes[0]).on('ip -o link show', ipLinkBefore(n1));
    const ctx = fakeContext(q, node, node, {
      answers: { 'Use this NIC map': false, 'Back-Channel Network link 1': 'eth1', 'Storage Network link 1': 'eth0' },
    });
    await capture.run!(ctx);
    const got = ctx.store.get('nics.an-node01') as NicMap;
    expect(got.bcn[0]).toBe(n1.nics!.sn[0]); // the NIC now named eth1 becomes BCN link 1 (eth0 after renaming)
    expect(got.sn[0]).toBe(n1.nics!.bcn[0]);
    expect(ctx.logs.join('\n')).toMatch(/the next task renames them/);
  });

  it('verify without anything recorded fails', async () => {
    const q = planWithoutNics();
    const node = new FakeNode(q.nodes[0]).on('ip -o link show', ipLinkBefore(n1));
    await expect(capture.verify!(fakeContext(q, node, node))).rejects.toThrow('none recorded yet');
  });
});
