/**
 * The cluster summary printed on the runbook's cover: nodes, networks and addresses, NIC map,
 * fence matrix, DRBD layout and VMs. Built from a (masked) Plan only, so it shows exactly what the
 * install will configure and never a password.
 */
import type { Plan } from '../plan/derive.js';
import { NET_TITLES, NETWORKS, type NetName } from '../plan/derive.js';
import { SECRET_FENCE_ATTRS } from '../plan/schema.js';
import { MASK } from '../plan/derive.js';

/** One node's identity and addresses. */
export interface SummaryNode {
  name: string;
  fqdn: string;
  id: number;
  label: string;
  bcn: string;
  sn: string;
  ifn: string;
  ipmi: string;
  ssh: string;
}

/** One network and each node's address on it. */
export interface SummaryNetwork {
  key: NetName;
  title: string;
  cidr: string;
  netmask: string;
  /** bond0 / bond1 / the IFN bridge. */
  iface: string;
  /** Address per node, in node order. */
  addresses: string[];
}

/** One physical interface of one node. */
export interface SummaryNic {
  node: string;
  dev: string;
  /** BCN, SN or IFN. */
  net: string;
  /** Back-Channel Network, ... */
  netTitle: string;
  link: number;
  /** MAC address, or `(captured at install)` when the answers leave it out. */
  mac: string;
  bond: string;
  primary: boolean;
}

/** One device of one fence method of one node. */
export interface SummaryFence {
  node: string;
  /** 1-based order in which fenced tries the methods. */
  order: number;
  method: string;
  device: string;
  agent: string;
  port: string;
  action: string;
}

/** A fence device with its attributes (secret attributes masked). */
export interface SummaryFenceDevice {
  name: string;
  agent: string;
  attrs: { key: string; value: string }[];
}

/** One DRBD resource. */
export interface SummaryDrbd {
  name: string;
  device: string;
  partition: string;
  size: string;
  start: string;
  end: string;
  port: number;
  vg: string;
  primary: string;
}

/** One VM. */
export interface SummaryVm {
  name: string;
  host: string;
  vg: string;
  lv: string;
  lvPath: string;
  size: string;
  ram: string;
  vcpus: number;
  os: string;
  domain: string;
  install: string;
}

/** Everything the cover shows. */
export interface ClusterSummary {
  cluster: { name: string; domain: string; postJoinDelay: number; configVersions: string };
  nodes: SummaryNode[];
  networks: SummaryNetwork[];
  gateway: string;
  dns: string;
  nics: SummaryNic[];
  fence: SummaryFence[];
  fenceDevices: SummaryFenceDevice[];
  drbd: SummaryDrbd[];
  gfs2: { device: string; mount: string; lockTable: string; journals: number; dirs: string };
  vms: SummaryVm[];
}

const NOT_KNOWN = '(captured at install)';

/** Build the cover summary of a plan (pass a masked plan: device attributes are shown). */
export function clusterSummary(p: Plan): ClusterSummary {
  const nodes = p.nodes.map((n) => ({
    name: n.name,
    fqdn: n.fqdn,
    id: n.id,
    label: n.label,
    bcn: n.bcn,
    sn: n.sn,
    ifn: n.ifn,
    ipmi: n.ipmi,
    ssh: `${n.ssh.user}@${n.ssh.host || n.name}:${n.ssh.port}`,
  }));
  const networks = NETWORKS.map((key) => ({
    key,
    title: NET_TITLES[key],
    cidr: p.nets[key].cidr,
    netmask: p.nets[key].netmask,
    iface: key === 'ifn' ? `${p.ifn.bridge} (bond2)` : (p.nodes[0].bonds.find((b) => b.net === key)?.dev ?? ''),
    addresses: p.nodes.map((n) => n[key]),
  }));
  const nics = p.nodes.flatMap((n) =>
    n.ifaces.map((i) => ({
      node: n.name,
      dev: i.dev,
      net: i.net.toUpperCase(),
      netTitle: NET_TITLES[i.net],
      link: i.link,
      mac: i.mac ?? NOT_KNOWN,
      bond: i.bond,
      primary: n.bonds.some((b) => b.primary === i.dev),
    })),
  );
  const fence = p.nodes.flatMap((n) =>
    n.fence.flatMap((m, mi) =>
      m.devices.map((d) => ({
        node: n.name,
        order: mi + 1,
        method: m.name,
        device: d.device.name,
        agent: d.device.agent,
        port: d.port === undefined ? '' : String(d.port),
        action: d.action,
      })),
    ),
  );
  const fenceDevices = p.answers.fencing.devices.map((d) => ({
    name: d.name,
    agent: d.agent,
    attrs: Object.entries(d)
      .filter(([k]) => k !== 'name' && k !== 'agent')
      // NOTE: mask again here so a summary built from an unmasked plan still hides passwords.
      .map(([k, v]) => ({ key: k, value: SECRET_FENCE_ATTRS.includes(k) ? MASK : String(v) })),
  }));
  const drbd = p.resources.map((r) => ({
    name: r.name,
    device: r.device,
    partition: r.partition,
    size: r.size === 'rest' ? 'rest of the disk' : r.size,
    start: r.start ?? '(probed)',
    end: r.end ?? '(probed)',
    port: r.port,
    vg: r.vg,
    primary: r.primary ?? '(shared)',
  }));
  const vms = p.vms.map((v) => ({
    name: v.name,
    host: v.host.name,
    vg: v.vg,
    lv: v.lv,
    lvPath: v.lvPath,
    size: v.size,
    ram: `${v.ram} MiB`,
    vcpus: v.vcpus,
    os: `${v.os.type}/${v.os.variant}`,
    domain: v.domain,
    install: v.install.location ?? v.install.cdrom ?? '',
  }));
  return {
    cluster: {
      name: p.cluster.name,
      domain: p.cluster.domain,
      postJoinDelay: p.cluster.postJoinDelay,
      configVersions: `${p.configVersion.foundation} (foundation), ${p.configVersion.storage} (storage), ${p.configVersion.vms} (VMs)`,
    },
    nodes,
    networks,
    gateway: p.ifn.gateway ?? '',
    dns: p.ifn.dns.join(', '),
    nics,
    fence,
    fenceDevices,
    drbd,
    gfs2: {
      device: p.gfs2.device,
      mount: p.gfs2.mount,
      lockTable: p.gfs2.lockTable,
      journals: p.gfs2.journals,
      dirs: p.gfs2.dirs.join(', '),
    },
    vms,
  };
}
