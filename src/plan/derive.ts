/**
 * The Plan: validated answers plus every name the tutorial derives from them (FQDNs, interface map,
 * bonds, fence methods per node, VGs per VM, cluster.conf versions). Steps and templates read the
 * Plan only, so a derived name is computed once, here.
 */
import type { Answers, NodeAnswers, ResourceAnswers, VmAnswers, FenceDeviceAnswers } from './schema.js';
import { SECRET_FENCE_ATTRS } from './schema.js';
import { cidrNetmask } from './net.js';

/** The three networks of the tutorial, in its order. */
export const NETWORKS = ['bcn', 'sn', 'ifn'] as const;
/** One of the three networks. */
export type NetName = (typeof NETWORKS)[number];

/** Long names the tutorial uses in ifcfg comments. */
export const NET_TITLES: Record<NetName, string> = {
  bcn: 'Back-Channel Network',
  sn: 'Storage Network',
  ifn: 'Internet-Facing Network',
};

/** One physical interface and its role. */
export interface Iface {
  dev: string; // eth0..eth5
  net: NetName;
  link: 1 | 2;
  bond: string; // bond0..bond2
  mac?: string;
}

/** A bonded interface (bond0 = BCN, bond1 = SN, bond2 = IFN slaved to the bridge). */
export interface Bond {
  dev: string;
  net: NetName;
  primary: string;
  slaves: [string, string];
  ip?: string; // absent for the IFN bond: its address lives on the bridge
  netmask?: string;
  bridge?: string;
}

/** A fence method resolved against the device list. */
export interface FenceMethod {
  name: string;
  devices: { device: FenceDeviceAnswers; port?: number | string; action: string }[];
}

/** A node with everything derived for it. */
export interface PlanNode extends NodeAnswers {
  index: number; // 0 = node 1
  fqdn: string;
  ifaces: Iface[];
  bonds: Bond[];
  fence: FenceMethod[];
  /** The DRBD resource whose VMs normally run here (primary), if any. */
  resource?: ResourceAnswers;
}

/** A VM with its storage and cluster names. */
export interface PlanVm extends VmAnswers {
  vg: string;
  lvPath: string;
  domain: string; // primary_<label>
  host: PlanNode;
  provisionScript: string;
  definition: string;
}

/** A DRBD resource with its parted boundaries (when the free-space start is known). */
export interface PlanResource extends ResourceAnswers {
  minor: number;
  /** parted start/end, e.g. "47.5GB"/"67.5GB"; "100%" for the last; undefined start = probe at run time. */
  start?: string;
  end?: string;
}

/** Everything a step, a template or the runbook needs. */
export interface Plan {
  answers: Answers;
  cluster: Answers['cluster'];
  nets: Record<NetName, { cidr: string; netmask: string }>;
  ifn: Answers['networks']['ifn'];
  bonding: Answers['networks']['bonding'];
  bondingOpts(primary: string): string;
  nodes: [PlanNode, PlanNode];
  resources: PlanResource[];
  vms: PlanVm[];
  storage: Answers['storage'];
  gfs2: Answers['storage']['gfs2'] & { device: string; lockTable: string };
  /** cluster.conf config_version at each push: foundation, storage services, VM services. */
  configVersion: { foundation: number; storage: number; vms: number };
  peerOf(n: PlanNode): PlanNode;
  node(name: string): PlanNode;
}

const DEVS: Record<NetName, [string, string]> = { bcn: ['eth0', 'eth3'], sn: ['eth1', 'eth4'], ifn: ['eth2', 'eth5'] };
const BONDS: Record<NetName, string> = { bcn: 'bond0', sn: 'bond1', ifn: 'bond2' };

/** Parse a parted size like "216.5GB" into [number, unit]. */
function splitSize(s: string): [number, string] {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z%]+)$/.exec(s);
  return m ? [Number(m[1]), m[2]!] : [NaN, ''];
}

function fmtNum(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** parted boundaries of each resource, from the start of the disk's free space. */
export function partitionBounds(resources: ResourceAnswers[], freeStart?: string): PlanResource[] {
  let cursor = freeStart;
  return resources.map((r, i) => {
    const minor = Number(/(\d+)$/.exec(r.device)?.[1] ?? i);
    const start = cursor;
    let end: string | undefined;
    if (r.size === 'rest') end = '100%';
    else if (start) {
      const [s, su] = splitSize(start);
      const [z, zu] = splitSize(r.size);
      end = su === zu && !Number.isNaN(s + z) ? `${fmtNum(s + z)}${su}` : undefined;
    }
    cursor = end;
    return { ...r, minor, start, end };
  });
}

/** Build the Plan from validated answers. `freeStart` is the probed start of the free disk space. */
export function derivePlan(a: Answers, opts: { freeStart?: string } = {}): Plan {
  const nets = Object.fromEntries(NETWORKS.map((k) => [k, { cidr: a.networks[k].cidr, netmask: cidrNetmask(a.networks[k].cidr) }])) as Plan['nets'];
  const b = a.networks.bonding;
  const byName = new Map(a.fencing.devices.map((d) => [d.name, d as FenceDeviceAnswers]));
  const nodes = a.nodes.map((n, index): PlanNode => {
    const ifaces: Iface[] = [];
    for (const link of [1, 2] as const)
      for (const net of NETWORKS) ifaces.push({ dev: DEVS[net][link - 1], net, link, bond: BONDS[net], mac: n.nics?.[net]?.[link - 1]?.toUpperCase() });
    ifaces.sort((x, y) => x.dev.localeCompare(y.dev));
    const bonds: Bond[] = NETWORKS.map((net) => ({
      dev: BONDS[net],
      net,
      primary: DEVS[net][0],
      slaves: DEVS[net],
      ...(net === 'ifn' ? { bridge: a.networks.ifn.bridge } : { ip: n[net], netmask: nets[net].netmask }),
    }));
    const fence = (a.fencing.methods[n.name] ?? []).map((m) => ({
      name: m.name,
      devices: m.devices.map((d) => ({ device: byName.get(d.device)!, port: d.port, action: d.action })),
    }));
    return { ...n, index, fqdn: `${n.name}.${a.cluster.domain}`, ifaces, bonds, fence, resource: a.storage.resources.find((r) => r.primary === n.name) };
  }) as [PlanNode, PlanNode];
  const node = (name: string) => {
    const f = nodes.find((x) => x.name === name || x.fqdn === name);
    if (!f) throw new Error(`unknown node ${name}`);
    return f;
  };
  const mount = a.storage.gfs2.mount;
  const vms = a.vms.map((v): PlanVm => {
    const host = node(v.node);
    const vg = host.resource!.vg;
    return {
      ...v,
      vg,
      lvPath: `/dev/${vg}/${v.lv}`,
      domain: `primary_${host.label}`,
      host,
      provisionScript: `${mount}/provision/${v.name}.sh`,
      definition: `${mount}/definitions/${v.name}.xml`,
    };
  });
  return {
    answers: a,
    cluster: a.cluster,
    nets,
    ifn: a.networks.ifn,
    bonding: b,
    bondingOpts: (primary) =>
      `mode=${b.mode} miimon=${b.miimon} use_carrier=${b.useCarrier} updelay=${b.updelay} downdelay=${b.downdelay} primary=${primary}`,
    nodes,
    resources: partitionBounds(a.storage.resources, opts.freeStart ?? a.storage.freeStart),
    vms,
    storage: a.storage,
    gfs2: { ...a.storage.gfs2, device: `/dev/${a.storage.gfs2.vg}/${a.storage.gfs2.lv}`, lockTable: `${a.cluster.name}:${a.storage.gfs2.lv}` },
    // NOTE: the tutorial's own numbering: 7 at the first push, 10 with storage services, 12 with VMs.
    configVersion: { foundation: 7, storage: 10, vms: 12 },
    peerOf: (n) => nodes[1 - n.index]!,
    node,
  };
}

/** The mask every secret is shown as outside the node's own files. */
export const MASK = '********';

/** Every secret value in the answers (for redaction of journals, logs and runbooks). */
export function secretValues(a: Answers): string[] {
  const out: string[] = [];
  if (a.ricci.password) out.push(a.ricci.password);
  for (const n of a.nodes) if (n.ssh.password) out.push(n.ssh.password);
  for (const d of a.fencing.devices)
    for (const k of SECRET_FENCE_ATTRS) if (typeof (d as Record<string, unknown>)[k] === 'string') out.push((d as Record<string, string>)[k]!);
  return [...new Set(out.filter((s) => s.length > 0))];
}

/** A copy of the answers with every secret replaced by `MASK` (for plan, runbook and state). */
export function maskAnswers(a: Answers): Answers {
  const c: Answers = structuredClone(a);
  if (c.ricci.password) c.ricci.password = MASK;
  for (const n of c.nodes) if (n.ssh.password) n.ssh.password = MASK;
  for (const d of c.fencing.devices)
    for (const k of SECRET_FENCE_ATTRS) if ((d as Record<string, unknown>)[k] !== undefined) (d as Record<string, unknown>)[k] = MASK;
  return c;
}

/** Replace every occurrence of a secret value in `text` by `MASK`. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  // NOTE: longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((x, y) => y.length - x.length)) if (s) out = out.split(s).join(MASK);
  return out;
}
