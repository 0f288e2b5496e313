/**
 * The causes verifies name for `check`: a link without carrier is hardware (node and interface named),
 * a cluster service's state is keyed by what it names, so every check that sees it reports one cause.
 */
import { describe, expect, it } from 'vitest';
import { network, linkCause } from '../../steps/network.js';
import { clusterCauses } from '../../steps/cluster-conf.js';
import { VerifyFailed } from '../../src/errors.js';
import { fakeContext } from '../helpers/fake-node.js';
import { tutorialPlan, bondedNode, bondText, slaveDown, ipAddr } from '../helpers/tutorial-node.js';

const restart = network.tasks.find((t) => t.id === 'network.restart')!;
const p = tutorialPlan();
const [n1] = p.nodes;

describe('network.restart: what a pulled cable is', () => {
  it('names the link without carrier as hardware, with its node and interface', async () => {
    const node = bondedNode(p, n1);
    node.files.set('/proc/net/bonding/bond0', slaveDown(bondText(n1, 'bond0'), 'eth0', 'eth3'));
    const err = (await restart.verify!(fakeContext(p, node, node)).catch((e: unknown) => e)) as VerifyFailed;
    expect(err).toBeInstanceOf(VerifyFailed);
    expect(err.seen).toContain('bond0: slave eth0 MII down (an-node01 BCN link 1)');
    expect(err.causes).toEqual([
      {
        key: 'link an-node01 eth0',
        text: 'an-node01 eth0 (BCN link 1) has no link: a pulled cable, a dead switch port or a switch that is off',
        hardware: true,
      },
    ]);
    expect(linkCause(n1, 'eth0')).toEqual(err.causes[0]);
  });

  it('names no cause when something else is wrong too (an address missing)', async () => {
    const node = bondedNode(p, n1);
    node.files.set('/proc/net/bonding/bond0', slaveDown(bondText(n1, 'bond0'), 'eth0', 'eth3'));
    node.on('ip -o -4 addr show', ipAddr(p, n1).replace('vbr2    inet', 'bond2    inet'));
    const err = (await restart.verify!(fakeContext(p, node, node)).catch((e: unknown) => e)) as VerifyFailed;
    expect(err).toBeInstanceOf(VerifyFailed);
    expect(err.causes).toEqual([]);
  });
});

describe('clusterCauses', () => {
  it('keys each problem by the member or service it names', () => {
    expect(
      clusterCauses([
        'vm:vm0002-web: disabled on an-node01.alteeve.ca (want started on an-node01.alteeve.ca)',
        'service:storage_an02: stopped on (none) (want started on an-node02.alteeve.ca)',
        'cluster not quorate',
      ]).map((c) => c.key),
    ).toEqual(['vm:vm0002-web', 'service:storage_an02', 'cluster not quorate']);
  });
});
