/**
 * Shared helpers for the cluster tests: a world from the tutorial's answers brought to the state of
 * step 9 (network, /etc/hosts, cluster packages, cluster.conf v7, ricci and modclusterd running).
 */
import { loadAnswers } from '../../../src/plan/load.js';
import { createWorld, type LabSubsystem, type World } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { networked, run } from '../helpers.js';

/** The tutorial's cluster.conf version 7 (lines 1342-1374). */
export const CONF_V7 = `<?xml version="1.0"?>
<cluster name="an-cluster-A" config_version="7">
        <cman expected_votes="1" two_node="1" />
        <clusternodes>
                <clusternode name="an-node01.alteeve.ca" nodeid="1">
                        <fence>
                                <method name="ipmi">
                                        <device name="ipmi_an01" action="reboot" />
                                </method>
                                <method name="pdu">
                                        <device name="pdu2" port="1" action="reboot" />
                                </method>
                        </fence>
                </clusternode>
                <clusternode name="an-node02.alteeve.ca" nodeid="2">
                        <fence>
                                <method name="ipmi">
                                        <device name="ipmi_an02" action="reboot" />
                                </method>
                                <method name="pdu">
                                        <device name="pdu2" port="2" action="reboot" />
                                </method>
                        </fence>
                </clusternode>
        </clusternodes>
        <fencedevices>
                <fencedevice name="ipmi_an01" agent="fence_ipmilan" ipaddr="an-node01.ipmi" login="root" passwd="secret" />
                <fencedevice name="ipmi_an02" agent="fence_ipmilan" ipaddr="an-node02.ipmi" login="root" passwd="secret" />
                <fencedevice agent="fence_apc_snmp" ipaddr="pdu2.alteeve.ca" name="pdu2" />
        </fencedevices>
        <fence_daemon post_join_delay="30" />
        <totem rrp_mode="none" secauth="off"/>
</cluster>
`;

/** A world from the tutorial's answers file (of the whole lab, or of `subsystems`). */
export function tutorialWorld(subsystems?: readonly LabSubsystem[]): World {
  return createWorld({
    answers: loadAnswers('examples/tutorial.anvil.yaml', { ...process.env }),
    ...(subsystems ? { subsystems } : {}),
  });
}

export const N1 = 'an-node01';
export const N2 = 'an-node02';

/** Both nodes after the network step, with the cluster packages, cluster.conf and ricci ready. */
export async function clusterReady(w: World, conf = CONF_V7): Promise<[LabNode, LabNode]> {
  await networked(w);
  const nodes = [w.nodes[N1], w.nodes[N2]] as [LabNode, LabNode];
  for (const n of nodes) {
    const r = await run(
      n,
      'yum -y install cman rgmanager ricci modcluster fence-agents >/dev/null && chkconfig acpid off && /etc/init.d/acpid stop >/dev/null',
    );
    if (r.code !== 0) throw new Error(`${n.name}: ${r.out}${r.err}`);
    n.fs.mkdirp('/etc/cluster');
    n.fs.writeFile('/etc/cluster/cluster.conf', conf, 0o640);
    const p = await run(
      n,
      'passwd --stdin ricci >/dev/null && chkconfig ricci on && chkconfig modclusterd on && /etc/init.d/ricci start >/dev/null && /etc/init.d/modclusterd start >/dev/null',
      'secret\n',
    );
    if (p.code !== 0) throw new Error(`${n.name}: ${p.out}${p.err}`);
  }
  return nodes;
}

/** Lines of /var/log/messages after line `from` (1-based count of lines seen before). */
export function logSince(n: LabNode, from: number): string[] {
  return n.fs.readText('/var/log/messages').split('\n').filter(Boolean).slice(from);
}

/** Number of lines in /var/log/messages. */
export function logLines(n: LabNode): number {
  return n.fs.readText('/var/log/messages').split('\n').filter(Boolean).length;
}

/** Strip the `Mon DD HH:MM:SS host ` prefix of syslog lines. */
export function bodies(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, ''));
}

/** Both nodes run cman (started together, within post_join_delay). */
export async function cmanBoth(w: World): Promise<void> {
  const [a, b] = await Promise.all([
    run(w.nodes[N1], '/etc/init.d/cman start'),
    run(w.nodes[N2], '/etc/init.d/cman start'),
  ]);
  if (a.code !== 0 || b.code !== 0) throw new Error(`cman start failed: ${a.out}${a.err} / ${b.out}${b.err}`);
}
