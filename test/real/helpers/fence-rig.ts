/**
 * The tutorial's fencing network for real agents: a switch namespace (one bridge, the BCN), one
 * namespace per node with its BCN address and the rendered /etc/hosts, and one namespace per node's
 * BMC running `ipmi_sim` at the node's IPMI address with the login and password of the node's IPMI
 * fence device from the answers. Agents run in a node's namespace, as fenced runs them on the
 * survivor, with the options the tool itself builds (`agentStdin`).
 */
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan, type Plan, type PlanNode } from '../../../src/plan/derive.js';
import { renderFile } from '../../../src/engine/render.js';
import type { NodeHandle } from '../../../src/engine/types.js';
import type { FenceDeviceAnswers } from '../../../src/plan/schema.js';
import { Netns, netnsHandle, scratch, veth } from './netns.js';
import { startBmc, type Bmc } from './bmc.js';

/** One node of the rig. */
export interface RigNode {
  plan: PlanNode;
  ns: Netns;
  handle: NodeHandle;
  /** The node's first fence method's fence_ipmilan device, as the answers give it. */
  ipmi: FenceDeviceAnswers;
  bmc: Bmc;
}

/** The whole rig. */
export interface FenceRig {
  plan: Plan;
  nodes: RigNode[];
}

/** The IPMI (fence_ipmilan) device of a node's fence methods. */
export function ipmiDevice(n: PlanNode): FenceDeviceAnswers {
  const d = n.fence.flatMap((m) => m.devices).find((x) => x.device.agent === 'fence_ipmilan');
  if (!d) throw new Error(`${n.name} has no fence_ipmilan device in its fence methods`);
  return d.device;
}

/** Build the rig for the answers file `answersPath` (default: the tutorial's). */
export async function startFenceRig(answersPath = 'examples/tutorial.anvil.yaml'): Promise<FenceRig> {
  const plan = derivePlan(loadAnswers(answersPath, {}));
  const sw = new Netns('sw');
  sw.ip('link', 'add', 'bcn', 'type', 'bridge');
  sw.ip('link', 'set', 'bcn', 'up');
  const prefix = plan.answers.networks.bcn.cidr.split('/')[1];
  const nodes: RigNode[] = [];
  for (const [i, n] of plan.nodes.entries()) {
    const ns = new Netns(`n${i + 1}`);
    veth(ns, 'eth0', sw, `n${i + 1}`);
    sw.ip('link', 'set', `n${i + 1}`, 'master', 'bcn');
    ns.addr('eth0', `${n.bcn}/${prefix}`);
    ns.etcFile('hosts', renderFile({ path: '/etc/hosts', template: 'etc/hosts.ejs' }, plan, n));
    // NOTE: no DNS here: the host's resolver may sit inside a planned subnet (lookups would hang on ARP).
    ns.etcFile('resolv.conf', 'nameserver 127.0.0.1\n');
    const dev = ipmiDevice(n);
    const bns = new Netns(`b${i + 1}`);
    veth(bns, 'eth0', sw, `b${i + 1}`);
    sw.ip('link', 'set', `b${i + 1}`, 'master', 'bcn');
    bns.addr('eth0', `${n.ipmi}/${prefix}`);
    const bmc = await startBmc(bns, scratch(`bmc${i + 1}`), n.ipmi, String(dev.login), String(dev.passwd));
    nodes.push({ plan: n, ns, handle: netnsHandle(ns, n), ipmi: dev, bmc });
  }
  return { plan, nodes };
}
