/**
 * Cross-field checks the zod schema cannot express. Each returns every problem it finds, with the
 * path of the offending field and how to fix it. They tolerate partially invalid input (they run
 * even when the schema failed, so one pass reports everything).
 */
import type { AnswerIssue } from '../errors.js';
import { inCidr } from './net.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

const NETS = ['bcn', 'sn', 'ifn'] as const;

function dupes<T>(items: { value: T; path: string }[], what: string, fix: string): AnswerIssue[] {
  const seen = new Map<string, string>();
  const out: AnswerIssue[] = [];
  for (const { value, path } of items) {
    if (value === undefined || value === null) continue;
    const key = String(value).toLowerCase();
    const first = seen.get(key);
    if (first) out.push({ path, message: `${what} "${value}" is already used by ${first}; ${fix}` });
    else seen.set(key, path);
  }
  return out;
}

function nodes(a: Raw): Raw[] {
  return Array.isArray(a?.nodes) ? a.nodes : [];
}

/** Every cross-field rule, in a stable order. */
export function crossChecks(a: Raw): AnswerIssue[] {
  const checks = [checkNodes, checkAddresses, checkMacs, checkFencing, checkDrbd, checkVms];
  const out: AnswerIssue[] = [];
  for (const c of checks) {
    try {
      out.push(...c(a));
    } catch {
      // NOTE: a check that trips over a malformed section is skipped; the schema already reported it.
    }
  }
  return out;
}

function checkNodes(a: Raw): AnswerIssue[] {
  const ns = nodes(a);
  const out: AnswerIssue[] = [];
  if (Array.isArray(a?.nodes) && ns.length !== 2)
    out.push({ path: 'nodes', message: `an Anvil! has exactly two nodes; found ${ns.length}` });
  out.push(...dupes(ns.map((n, i) => ({ value: n?.id, path: `nodes[${i}].id` })), 'node id', 'give each node its own id'));
  out.push(...dupes(ns.map((n, i) => ({ value: n?.name, path: `nodes[${i}].name` })), 'node name', 'give each node its own name'));
  out.push(...dupes(ns.map((n, i) => ({ value: n?.label, path: `nodes[${i}].label` })), 'node label', 'give each node its own label'));
  return out;
}

function checkAddresses(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const addrs: { value: string; path: string }[] = [];
  nodes(a).forEach((n, i) => {
    for (const net of NETS) {
      const ip = n?.[net];
      const c = a?.networks?.[net]?.cidr;
      if (typeof ip === 'string' && typeof c === 'string' && !inCidr(ip, c))
        out.push({ path: `nodes[${i}].${net}`, message: `${ip} is not inside networks.${net}.cidr ${c}; use an address in ${c}` });
      if (typeof ip === 'string') addrs.push({ value: ip, path: `nodes[${i}].${net}` });
    }
    if (typeof n?.ipmi === 'string') addrs.push({ value: n.ipmi, path: `nodes[${i}].ipmi` });
  });
  (Array.isArray(a?.extraHosts) ? a.extraHosts : []).forEach((h: Raw, i: number) => {
    if (typeof h?.ip === 'string') addrs.push({ value: h.ip, path: `extraHosts[${i}].ip` });
  });
  if (typeof a?.networks?.ifn?.gateway === 'string') {
    addrs.push({ value: a.networks.ifn.gateway, path: 'networks.ifn.gateway' });
    if (typeof a.networks.ifn.cidr === 'string' && !inCidr(a.networks.ifn.gateway, a.networks.ifn.cidr))
      out.push({ path: 'networks.ifn.gateway', message: `${a.networks.ifn.gateway} is not inside networks.ifn.cidr ${a.networks.ifn.cidr}` });
  }
  out.push(...dupes(addrs, 'address', 'each address may be used once'));
  return out;
}

function checkMacs(a: Raw): AnswerIssue[] {
  const macs: { value: string; path: string }[] = [];
  nodes(a).forEach((n, i) => {
    for (const net of NETS) {
      const pair = n?.nics?.[net];
      if (Array.isArray(pair)) pair.forEach((m: Raw, k: number) => typeof m === 'string' && macs.push({ value: m, path: `nodes[${i}].nics.${net}[${k}]` }));
    }
  });
  return dupes(macs, 'MAC', 'every NIC has its own MAC: check for a copy-paste slip');
}

function checkFencing(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const devices: Raw[] = Array.isArray(a?.fencing?.devices) ? a.fencing.devices : [];
  const devNames = new Set(devices.map((d) => d?.name));
  out.push(...dupes(devices.map((d, i) => ({ value: d?.name, path: `fencing.devices[${i}].name` })), 'fence device name', 'rename one of them'));
  const methods = a?.fencing?.methods && typeof a.fencing.methods === 'object' ? a.fencing.methods : {};
  const nodeNames = new Set(nodes(a).map((n) => n?.name));
  for (const key of Object.keys(methods)) {
    if (!nodeNames.has(key))
      out.push({ path: `fencing.methods.${key}`, message: `"${key}" is not a node name; use one of: ${[...nodeNames].join(', ')}` });
  }
  nodes(a).forEach((n, i) => {
    const list = methods[n?.name];
    if (!Array.isArray(list) || list.length === 0) {
      out.push({ path: `fencing.methods.${n?.name ?? `nodes[${i}]`}`, message: `node ${n?.name} has no fence method; add at least one (e.g. ipmi), or the cluster cannot recover from its failure` });
      return;
    }
    list.forEach((m: Raw, k: number) =>
      (Array.isArray(m?.devices) ? m.devices : []).forEach((d: Raw, j: number) => {
        if (!devNames.has(d?.device))
          out.push({
            path: `fencing.methods.${n.name}[${k}].devices[${j}].device`,
            message: `fence device "${d?.device}" is not defined in fencing.devices; define it or use one of: ${[...devNames].join(', ')}`,
          });
      }),
    );
  });
  return out;
}

function checkDrbd(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const res: Raw[] = Array.isArray(a?.storage?.resources) ? a.storage.resources : [];
  const at = (i: number, k: string) => `storage.resources[${i}].${k}`;
  out.push(...dupes(res.map((r, i) => ({ value: r?.name, path: at(i, 'name') })), 'resource name', 'use r0, r1, r2...'));
  out.push(...dupes(res.map((r, i) => ({ value: r?.port, path: at(i, 'port') })), 'DRBD port', 'each resource needs its own port (7788, 7789, ...)'));
  out.push(...dupes(res.map((r, i) => ({ value: r?.device, path: at(i, 'device') })), 'DRBD device', 'each resource needs its own /dev/drbdN'));
  out.push(...dupes(res.map((r, i) => ({ value: r?.partition, path: at(i, 'partition') })), 'partition', 'each resource needs its own partition'));
  out.push(...dupes(res.map((r, i) => ({ value: r?.vg, path: at(i, 'vg') })), 'volume group', 'each resource carries its own VG'));
  const disk = a?.storage?.disk;
  res.forEach((r, i) => {
    if (r?.size === 'rest' && i !== res.length - 1)
      out.push({ path: at(i, 'size'), message: '"rest" takes what is left of the disk, so only the last resource may use it' });
    if (typeof r?.partition === 'string' && typeof disk === 'string') {
      const m = /^(.*?)(\d+)$/.exec(r.partition);
      const want = 5 + i;
      if (!m || m[1] !== disk) out.push({ path: at(i, 'partition'), message: `${r.partition} is not a partition of storage.disk ${disk}` });
      else if (Number(m[2]) !== want)
        out.push({ path: at(i, 'partition'), message: `logical partitions are numbered from 5 in the order they are created; this one will be ${disk}${want}` });
    }
    if (r?.primary !== undefined && !nodes(a).some((n) => n?.name === r.primary))
      out.push({ path: at(i, 'primary'), message: `"${r.primary}" is not a node name` });
  });
  const gvg = a?.storage?.gfs2?.vg;
  if (typeof gvg === 'string' && res.length && !res.some((r) => r?.vg === gvg))
    out.push({ path: 'storage.gfs2.vg', message: `"${gvg}" is not the vg of any storage.resources entry` });
  const owners = res.filter((r) => r?.primary);
  nodes(a).forEach((n) => {
    const own = owners.filter((r) => r.primary === n?.name);
    if (own.length > 1)
      out.push({ path: 'storage.resources', message: `node ${n.name} is primary of ${own.length} resources; a node's VMs live on one resource` });
  });
  return out;
}

function checkVms(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const vms: Raw[] = Array.isArray(a?.vms) ? a.vms : [];
  const res: Raw[] = Array.isArray(a?.storage?.resources) ? a.storage.resources : [];
  out.push(...dupes(vms.map((v, i) => ({ value: v?.name, path: `vms[${i}].name` })), 'VM name', 'VM names must be unique'));
  out.push(...dupes(vms.map((v, i) => ({ value: v?.lv, path: `vms[${i}].lv` })), 'LV', 'each VM needs its own LV'));
  vms.forEach((v, i) => {
    if (!nodes(a).some((n) => n?.name === v?.node)) {
      out.push({ path: `vms[${i}].node`, message: `"${v?.node}" is not a node name; use ${nodes(a).map((n) => n?.name).join(' or ')}` });
      return;
    }
    if (!res.some((r) => r?.primary === v.node))
      out.push({
        path: `vms[${i}].node`,
        message: `node ${v.node} owns no DRBD resource, so the VM's volume group is unknown; set primary: ${v.node} on one of storage.resources`,
      });
  });
  return out;
}
