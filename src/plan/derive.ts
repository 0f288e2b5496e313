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
  return m ? [Number(m[1]), m[2]] : [NaN, ''];
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
  const nets = Object.fromEntries(
    NETWORKS.map((k) => [k, { cidr: a.networks[k].cidr, netmask: cidrNetmask(a.networks[k].cidr) }]),
  ) as Plan['nets'];
  const b = a.networks.bonding;
  const byName = new Map(a.fencing.devices.map((d) => [d.name, d as FenceDeviceAnswers]));
  const nodes = a.nodes.map((n, index): PlanNode => {
    const ifaces: Iface[] = [];
    for (const link of [1, 2] as const)
      for (const net of NETWORKS)
        ifaces.push({
          dev: DEVS[net][link - 1],
          net,
          link,
          bond: BONDS[net],
          mac: n.nics?.[net]?.[link - 1]?.toUpperCase(),
        });
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
    return {
      ...n,
      index,
      fqdn: `${n.name}.${a.cluster.domain}`,
      ifaces,
      bonds,
      fence,
      resource: a.storage.resources.find((r) => r.primary === n.name),
    };
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
    gfs2: {
      ...a.storage.gfs2,
      device: `/dev/${a.storage.gfs2.vg}/${a.storage.gfs2.lv}`,
      lockTable: `${a.cluster.name}:${a.storage.gfs2.lv}`,
    },
    // NOTE: the tutorial's own numbering: 7 at the first push, 10 with storage services, 12 with VMs.
    configVersion: { foundation: 7, storage: 10, vms: 12 },
    peerOf: (n) => nodes[1 - n.index],
    node,
  };
}

/** The mask every secret is shown as outside the node's own files. */
export const MASK = '********';

/** One secret of the answers: where it is (a stable path, by name not index) and its value. */
export interface SecretEntry {
  /** e.g. `ricci.password`, `fencing.devices.ipmi_an01.passwd`, `nodes.an-node01.ssh.password`. */
  path: string;
  value: string;
}

/** Every secret of the answers with its path (paths name devices and nodes, so reordering keeps them). */
export function secretEntries(a: Answers): SecretEntry[] {
  const out: SecretEntry[] = [];
  if (typeof a.ricci?.password === 'string') out.push({ path: 'ricci.password', value: a.ricci.password });
  for (const n of a.nodes)
    if (typeof n.ssh?.password === 'string') out.push({ path: `nodes.${n.name}.ssh.password`, value: n.ssh.password });
  for (const d of a.fencing.devices)
    for (const k of SECRET_FENCE_ATTRS) {
      const v = (d as Record<string, unknown>)[k];
      if (typeof v === 'string') out.push({ path: `fencing.devices.${d.name}.${k}`, value: v });
    }
  return out.filter((e) => e.value.length > 0);
}

/**
 * Every form a secret takes in what the tool prints: as written, escaped for XML (ours and ejs's),
 * inside shell single quotes (`'` → `'\''`), inside shell double quotes, and JSON-escaped.
 */
export function secretForms(value: string): string[] {
  const xml = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const forms = [
    value,
    xml.replace(/"/g, '&quot;'),
    xml.replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
    xml.replace(/"/g, '&quot;').replace(/'/g, '&apos;'),
    value.replace(/'/g, `'\\''`),
    value.replace(/(["\\$`])/g, '\\$1'),
  ];
  // NOTE: and each of those inside a JSON string (a journal line or evidence quoting a command).
  const json = forms.map((f) => JSON.stringify(f).slice(1, -1));
  return [...new Set([...forms, ...json].filter((f) => f.length > 0))];
}

/** Every secret value in the answers, in every printed form (for redaction of journals, logs and runbooks). */
export function secretValues(a: Answers): string[] {
  return [...new Set(secretEntries(a).flatMap((e) => secretForms(e.value)))];
}

/** A copy of the answers with every secret replaced by `MASK` (for plan, runbook and state). */
export function maskAnswers(a: Answers): Answers {
  const c: Answers = structuredClone(a);
  if (c.ricci.password) c.ricci.password = MASK;
  for (const n of c.nodes) if (n.ssh.password) n.ssh.password = MASK;
  for (const d of c.fencing.devices)
    for (const k of SECRET_FENCE_ATTRS)
      if ((d as Record<string, unknown>)[k] !== undefined) (d as Record<string, unknown>)[k] = MASK;
  return c;
}

// NOTE: keys of secret attributes as the files write them: XML attributes (`passwd="..."`) and
// conf lines (`password = ...`).
const SECRET_ATTR_RE = new RegExp(
  `\\b(${[...SECRET_FENCE_ATTRS, 'password'].join('|')})(\\s*=\\s*)("[^"\\n]*"|'[^'\\n]*'|[^\\s"'/>]+)`,
  'g',
);

/**
 * Mask the values of secret attributes (`passwd="..."`, `password = ...`) whatever they are: for
 * text read from a node, which may hold an old password the answers no longer know.
 */
export function maskSecretAttrs(text: string): string {
  return text.replace(
    SECRET_ATTR_RE,
    (_m, k: string, eq: string, v: string) =>
      `${k}${eq}${v.startsWith('"') ? `"${MASK}"` : v.startsWith("'") ? `'${MASK}'` : MASK}`,
  );
}

const WORD = /[A-Za-z0-9]/;
/** A secret that reads like a word: masked as a whole token only (see `redact`). */
const WORDLIKE = /^[A-Za-z]{4,}$/;

/**
 * Replace every occurrence of a secret value in `text` by `MASK`.
 *
 * NOTE: a secret made of letters only (a word, like the contract's `secret`) is masked only as a
 * whole token: not where a letter or digit touches it, so it never garbles a longer word that
 * merely contains it (`backup` in `/root/backups`). Any other secret (digits, symbols) is masked
 * wherever it appears, even glued to other text: such a string is never part of the tool's own
 * words, and a leak is worse than a garble. Short and common secrets are refused at load time
 * (checks.ts).
 */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  // NOTE: longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((x, y) => y.length - x.length)) {
    if (!s || !out.includes(s)) continue;
    if (!WORDLIKE.test(s)) {
      out = out.split(s).join(MASK);
      continue;
    }
    let res = '';
    let from = 0;
    for (let i = out.indexOf(s); i >= 0; i = out.indexOf(s, i + 1)) {
      if (i < from) continue;
      const before = out[i - 1] ?? '';
      const after = out[i + s.length] ?? '';
      if ((before && WORD.test(before)) || (after && WORD.test(after))) continue;
      res += out.slice(from, i) + MASK;
      from = i + s.length;
    }
    out = res + out.slice(from);
  }
  return out;
}
