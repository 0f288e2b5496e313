/**
 * Cross-field checks the zod schema cannot express. Each returns every problem it finds, with the
 * path of the offending field and how to fix it. They tolerate partially invalid input (they run
 * even when the schema failed, so one pass reports everything).
 */
import type { AnswerIssue } from '../errors.js';
import { inCidr, ipToInt } from './net.js';
import { SECRET_FENCE_ATTRS } from './schema.js';

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
    if (first) out.push({ path, message: `${what} "${String(value)}" is already used by ${first}; ${fix}` });
    else seen.set(key, path);
  }
  return out;
}

function nodes(a: Raw): Raw[] {
  return Array.isArray(a?.nodes) ? a.nodes : [];
}

/** Every cross-field rule, in a stable order. */
export function crossChecks(a: Raw): AnswerIssue[] {
  const checks = [
    checkNodes,
    checkNetworks,
    checkAddresses,
    checkBonding,
    checkMacs,
    checkFencing,
    checkFenceAttrs,
    checkSecrets,
    checkDrbd,
    checkGfs2,
    checkLvmNames,
    checkVms,
  ];
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
  out.push(
    ...dupes(
      ns.map((n, i) => ({ value: n?.id, path: `nodes[${i}].id` })),
      'node id',
      'give each node its own id',
    ),
  );
  out.push(
    ...dupes(
      ns.map((n, i) => ({ value: n?.name, path: `nodes[${i}].name` })),
      'node name',
      'give each node its own name',
    ),
  );
  out.push(
    ...dupes(
      ns.map((n, i) => ({ value: n?.label, path: `nodes[${i}].label` })),
      'node label',
      'give each node its own label',
    ),
  );
  return out;
}

const CIDR_RE = /^(\d{1,3}(\.\d{1,3}){3})\/(\d{1,2})$/;

/** [first, last] address of a CIDR as numbers, or undefined when it is not one. */
function cidrRange(c: unknown): [number, number] | undefined {
  const m = typeof c === 'string' ? CIDR_RE.exec(c) : null;
  if (!m || Number(m[3]) > 32) return undefined;
  const prefix = Number(m[3]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (ipToInt(m[1]) & mask) >>> 0;
  return [base, (base | (~mask >>> 0)) >>> 0];
}

/** An address that is its network's own or broadcast address (only for prefixes up to /30). */
function reservedIn(ip: string, c: string): 'network' | 'broadcast' | undefined {
  const r = cidrRange(c);
  if (!r || Number(c.split('/')[1]) > 30) return undefined;
  const v = ipToInt(ip);
  return v === r[0] ? 'network' : v === r[1] ? 'broadcast' : undefined;
}

function checkNetworks(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const seen: { net: string; r: [number, number] }[] = [];
  for (const net of NETS) {
    const c = a?.networks?.[net]?.cidr;
    const r = cidrRange(c);
    if (!r) continue;
    if (Number(String(c).split('/')[1]) > 30)
      out.push({
        path: `networks.${net}.cidr`,
        message: `${c} has no room for two nodes and their peers; use a /30 or larger network (the tutorial uses /16)`,
      });
    const clash = seen.find((x) => r[0] <= x.r[1] && x.r[0] <= r[1]);
    if (clash)
      out.push({
        path: `networks.${net}.cidr`,
        message: `${c} overlaps networks.${clash.net}.cidr; the three networks must be distinct (the tutorial: 10.20/16, 10.10/16, 10.255/16)`,
      });
    seen.push({ net, r });
  }
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
        out.push({
          path: `nodes[${i}].${net}`,
          message: `${ip} is not inside networks.${net}.cidr ${c}; use an address in ${c}`,
        });
      else if (typeof ip === 'string' && typeof c === 'string' && reservedIn(ip, c))
        out.push({
          path: `nodes[${i}].${net}`,
          message: `${ip} is the ${reservedIn(ip, c)} address of ${c}, not a host address; use another address in ${c}`,
        });
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
      out.push({
        path: 'networks.ifn.gateway',
        message: `${a.networks.ifn.gateway} is not inside networks.ifn.cidr ${a.networks.ifn.cidr}`,
      });
    else if (typeof a.networks.ifn.cidr === 'string' && reservedIn(a.networks.ifn.gateway, a.networks.ifn.cidr))
      out.push({
        path: 'networks.ifn.gateway',
        message: `${a.networks.ifn.gateway} is the ${reservedIn(a.networks.ifn.gateway, a.networks.ifn.cidr)} address of ${a.networks.ifn.cidr}, not a gateway`,
      });
  }
  out.push(...dupes(addrs, 'address', 'each address may be used once'));
  return out;
}

function checkBonding(a: Raw): AnswerIssue[] {
  const b = a?.networks?.bonding;
  if (!b || typeof b !== 'object') return [];
  const miimon = typeof b.miimon === 'number' ? b.miimon : 100;
  const out: AnswerIssue[] = [];
  for (const k of ['updelay', 'downdelay'] as const) {
    const v = b[k];
    if (typeof v !== 'number' || v <= 0) continue;
    if (miimon === 0)
      out.push({
        path: `networks.bonding.${k}`,
        message: `${k} needs link monitoring; with miimon 0 the bonding driver ignores it: set miimon (the tutorial: 100)`,
      });
    else if (v % miimon !== 0)
      out.push({
        path: `networks.bonding.${k}`,
        message: `${v} is not a multiple of miimon ${miimon}; the bonding driver would round it down to ${v - (v % miimon)}: write that`,
      });
  }
  return out;
}

function checkMacs(a: Raw): AnswerIssue[] {
  const macs: { value: string; path: string }[] = [];
  nodes(a).forEach((n, i) => {
    for (const net of NETS) {
      const pair = n?.nics?.[net];
      if (Array.isArray(pair))
        pair.forEach(
          (m: Raw, k: number) =>
            typeof m === 'string' && macs.push({ value: m, path: `nodes[${i}].nics.${net}[${k}]` }),
        );
    }
  });
  return dupes(macs, 'MAC', 'every NIC has its own MAC: check for a copy-paste slip');
}

function checkFencing(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const devices: Raw[] = Array.isArray(a?.fencing?.devices) ? a.fencing.devices : [];
  const devNames = new Set(devices.map((d) => d?.name));
  out.push(
    ...dupes(
      devices.map((d, i) => ({ value: d?.name, path: `fencing.devices[${i}].name` })),
      'fence device name',
      'rename one of them',
    ),
  );
  const methods = a?.fencing?.methods && typeof a.fencing.methods === 'object' ? a.fencing.methods : {};
  const nodeNames = new Set(nodes(a).map((n) => n?.name));
  for (const key of Object.keys(methods)) {
    if (!nodeNames.has(key))
      out.push({
        path: `fencing.methods.${key}`,
        message: `"${key}" is not a node name; use one of: ${[...nodeNames].join(', ')}`,
      });
  }
  nodes(a).forEach((n, i) => {
    const list = methods[n?.name];
    if (!Array.isArray(list) || list.length === 0) {
      out.push({
        path: `fencing.methods.${n?.name ?? `nodes[${i}]`}`,
        message: `node ${n?.name} has no fence method; add at least one (e.g. ipmi), or the cluster cannot recover from its failure`,
      });
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

// NOTE: attribute names go verbatim into cluster.conf (`<fencedevice NAME="...">`): the agents'
// options are lower-case words, so anything else (a quote, a space, `/>`) is refused.
const ATTR_RE = /^[a-z][a-z0-9_]{0,31}$/;

function checkFenceAttrs(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const devices: Raw[] = Array.isArray(a?.fencing?.devices) ? a.fencing.devices : [];
  devices.forEach((d, i) => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) return;
    for (const [k, v] of Object.entries(d)) {
      const at = `fencing.devices[${i}].${k}`;
      if (!ATTR_RE.test(k)) {
        out.push({
          path: `fencing.devices[${i}]`,
          message: `${JSON.stringify(k)} is not a fence agent attribute name (lower-case letters, digits and "_", like ipaddr, login, passwd)`,
        });
        continue;
      }
      if (SECRET_FENCE_ATTRS.includes(k)) {
        if (v === null || v === '')
          out.push({ path: at, message: 'must not be empty; give the password, or "${env:NAME}"' });
        else if (typeof v === 'number' || typeof v === 'boolean')
          out.push({
            path: at,
            message: `write the password in quotes (${k}: "..."): YAML reads an unquoted 0123 or 1e3 as a number and changes it`,
          });
      } else if (v === null) out.push({ path: at, message: 'has no value; give one or remove the key' });
      else {
        const bad = fenceValueProblem(k, v);
        if (bad) out.push({ path: at, message: bad });
      }
    }
  });
  return out;
}

// NOTE: fence agent attributes that hold a TCP port, and those that are numbers of seconds, tries or
// ids (fence-agents' fencing.py: ipport, power_wait, shell_timeout, login_timeout, power_timeout,
// retry_on, delay; fence_ipmilan: cipher, privlvl is a word).
const PORT_ATTRS = new Set(['ipport', 'udpport']);
const INT_MAX = 2 ** 31 - 1;

/**
 * What is wrong with a (non-secret) fence agent attribute's value, if anything. fenced hands each
 * attribute to the agent as `name=value` on stdin, and the agent puts most of them on the command line
 * of ipmitool, ssh or telnet (`-U LOGIN`, `-p PORT`, the address): a value that starts with "-" is read
 * there as an option (`-oProxyCommand=...` runs a command), and a number is written as JavaScript
 * prints it (2^64 as 18446744073709552000, 1e21 as "1e+21").
 */
function fenceValueProblem(k: string, v: unknown): string | undefined {
  if (PORT_ATTRS.has(k)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      return `${JSON.stringify(v)} is not a TCP port: write a whole number from 1 to 65535 (IPMI: 623)`;
    return undefined;
  }
  if (typeof v === 'number' && (!Number.isInteger(v) || v < 0 || v > INT_MAX))
    return `${v} is not a whole number from 0 to ${INT_MAX}; the agent reads whole numbers (seconds, tries, ids)`;
  if (typeof v === 'string' && v.startsWith('-'))
    return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} starts with "-": the agent passes it to ipmitool, ssh or telnet, which would read it as an option; write the value without the leading "-"`;
  return undefined;
}

/** Words the tool itself prints in paths, commands and outputs: a secret equal to one would garble them. */
const COMMON_WORDS = new Set([
  'root',
  'admin',
  'administrator',
  'password',
  'passwd',
  'ricci',
  'cman',
  'cluster',
  'node',
  'fence',
  'ipmi',
  'drbd',
  'clvmd',
  'gfs2',
  'shared',
  'backup',
  'backups',
  'default',
  'changeme',
  'calvin',
  'user',
  'guest',
  'test',
  'true',
  'false',
  'none',
  'reboot',
]);
const MIN_SECRET = 4;

function leafStrings(v: Raw, path: string, out: { path: string; value: string }[]): void {
  if (typeof v === 'string') out.push({ path, value: v });
  else if (Array.isArray(v)) v.forEach((x, i) => leafStrings(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) leafStrings(x, path ? `${path}.${k}` : k, out);
}

/**
 * A secret is masked wherever the tool prints it; one that is short, common, or the same text as
 * another answer would mask that too (`/root/backups` would lose its `root`), so it is refused.
 */
function checkSecrets(a: Raw): AnswerIssue[] {
  const secrets: { path: string; value: string }[] = [];
  if (typeof a?.ricci?.password === 'string') secrets.push({ path: 'ricci.password', value: a.ricci.password });
  nodes(a).forEach(
    (n, i) =>
      typeof n?.ssh?.password === 'string' && secrets.push({ path: `nodes[${i}].ssh.password`, value: n.ssh.password }),
  );
  (Array.isArray(a?.fencing?.devices) ? a.fencing.devices : []).forEach((d: Raw, i: number) => {
    for (const k of SECRET_FENCE_ATTRS)
      if (typeof d?.[k] === 'string') secrets.push({ path: `fencing.devices[${i}].${k}`, value: d[k] });
  });
  const secretPaths = new Set(secrets.map((s) => s.path));
  const others: { path: string; value: string }[] = [];
  leafStrings(a, '', others);
  const plain = others.filter((o) => !secretPaths.has(o.path));
  const out: AnswerIssue[] = [];
  for (const s of secrets) {
    const v = s.value;
    // NOTE: an unresolved ${env:NAME} (plan, runbook) is not the secret itself.
    if (v === '' || /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(v)) continue;
    const fix =
      'choose a longer, less common password (masking it would hide other text too), or pass it as "${env:NAME}"';
    if (v.length < MIN_SECRET)
      out.push({
        path: s.path,
        message: `a password of ${v.length} character${v.length === 1 ? '' : 's'} is too short to mask safely; ${fix}`,
      });
    else if (/^\d+$/.test(v) && v.length < 8)
      out.push({
        path: s.path,
        message: `a password of ${v.length} digits reads like a number the tool prints (ports, sizes, ids); ${fix}`,
      });
    else if (COMMON_WORDS.has(v.toLowerCase()))
      out.push({
        path: s.path,
        message: `"${v.toLowerCase()}" is a word the tool prints in paths and commands (e.g. /root/backups); ${fix}`,
      });
    else {
      const same = plain.find((o) => o.value === v);
      if (same)
        out.push({
          path: s.path,
          message: `is the same text as ${same.path}; masking the password would hide that value everywhere: choose another password`,
        });
    }
  }
  return out;
}

function checkDrbd(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const res: Raw[] = Array.isArray(a?.storage?.resources) ? a.storage.resources : [];
  const at = (i: number, k: string) => `storage.resources[${i}].${k}`;
  out.push(
    ...dupes(
      res.map((r, i) => ({ value: r?.name, path: at(i, 'name') })),
      'resource name',
      'use r0, r1, r2...',
    ),
  );
  out.push(
    ...dupes(
      res.map((r, i) => ({ value: r?.port, path: at(i, 'port') })),
      'DRBD port',
      'each resource needs its own port (7788, 7789, ...)',
    ),
  );
  out.push(
    ...dupes(
      res.map((r, i) => ({ value: r?.device, path: at(i, 'device') })),
      'DRBD device',
      'each resource needs its own /dev/drbdN',
    ),
  );
  out.push(
    ...dupes(
      res.map((r, i) => ({ value: r?.partition, path: at(i, 'partition') })),
      'partition',
      'each resource needs its own partition',
    ),
  );
  out.push(
    ...dupes(
      res.map((r, i) => ({ value: r?.vg, path: at(i, 'vg') })),
      'volume group',
      'each resource carries its own VG',
    ),
  );
  const disk = a?.storage?.disk;
  res.forEach((r, i) => {
    if (r?.size === 'rest' && i !== res.length - 1)
      out.push({
        path: at(i, 'size'),
        message: '"rest" takes what is left of the disk, so only the last resource may use it',
      });
    if (typeof r?.partition === 'string' && typeof disk === 'string') {
      const m = /^(.*?)(\d+)$/.exec(r.partition);
      const want = 5 + i;
      if (!m || m[1] !== disk)
        out.push({ path: at(i, 'partition'), message: `${r.partition} is not a partition of storage.disk ${disk}` });
      else if (Number(m[2]) !== want)
        out.push({
          path: at(i, 'partition'),
          message: `logical partitions are numbered from 5 in the order they are created; this one will be ${disk}${want}`,
        });
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
      out.push({
        path: 'storage.resources',
        message: `node ${n.name} is primary of ${own.length} resources; a node's VMs live on one resource`,
      });
  });
  return out;
}

// NOTE: the system's own folders: mounting the shared GFS2 over one of them hides the OS's files
// on one node and not the other.
const SYSTEM_DIRS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
  '/tmp',
  '/selinux',
  '/cgroup',
  '/lost+found',
];

function checkGfs2(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const g = a?.storage?.gfs2;
  const m = g?.mount;
  if (typeof m === 'string' && m.startsWith('/')) {
    const clean = m.replace(/\/+$/, '') || '/';
    if (clean === '/')
      out.push({
        path: 'storage.gfs2.mount',
        message: 'cannot mount the shared GFS2 on /; use a folder of its own, like /shared',
      });
    else if (/(^|\/)\.\.?(\/|$)/.test(clean) || /\/\//.test(clean))
      out.push({
        path: 'storage.gfs2.mount',
        message: `${m} has "." or ".." or "//" in it; write the plain absolute path, like /shared`,
      });
    else {
      const sys = SYSTEM_DIRS.find((d) => clean === d || clean.startsWith(`${d}/`));
      if (sys)
        out.push({
          path: 'storage.gfs2.mount',
          message: `${m} is ${clean === sys ? '' : 'inside '}the system folder ${sys}; use a folder of its own, like /shared`,
        });
    }
  }
  // NOTE: mkfs.gfs2 -t CLUSTER:FSNAME: the lock table's fs name is at most 30 characters.
  if (typeof g?.lv === 'string' && g.lv.length > 30)
    out.push({
      path: 'storage.gfs2.lv',
      message: `"${g.lv}" is ${g.lv.length} characters; it is the GFS2 lock table name (mkfs.gfs2 -t cluster:${g.lv}), at most 30`,
    });
  return out;
}

const LV_RESERVED = [
  '_cdata',
  '_cmeta',
  '_corig',
  '_mlog',
  '_mimage',
  '_pmspare',
  '_rimage',
  '_rmeta',
  '_tdata',
  '_tmeta',
  '_vorigin',
  '_vdata',
];

/** LVM's own rules for VG and LV names (lvm(8) "VALID NAMES"). */
function lvmName(v: unknown, kind: 'vg' | 'lv'): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.length > 127) return `is ${v.length} characters; LVM names are at most 127`;
  if (!/^[A-Za-z0-9+_.-]+$/.test(v)) return 'LVM names use letters, digits and "+_.-" only';
  if (v.startsWith('-')) return 'LVM names cannot start with "-"';
  if (kind === 'lv') {
    if (/^(snapshot|pvmove)/.test(v))
      return `LV names cannot start with "${/^(snapshot|pvmove)/.exec(v)![1]}" (reserved by LVM)`;
    const r = LV_RESERVED.find((x) => v.includes(x));
    if (r) return `LV names cannot contain "${r}" (reserved by LVM)`;
  }
  return undefined;
}

function checkLvmNames(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const add = (path: string, v: unknown, kind: 'vg' | 'lv') => {
    const m = lvmName(v, kind);
    if (m) out.push({ path, message: m });
  };
  (Array.isArray(a?.storage?.resources) ? a.storage.resources : []).forEach((r: Raw, i: number) =>
    add(`storage.resources[${i}].vg`, r?.vg, 'vg'),
  );
  add('storage.gfs2.lv', a?.storage?.gfs2?.lv, 'lv');
  (Array.isArray(a?.vms) ? a.vms : []).forEach((v: Raw, i: number) => add(`vms[${i}].lv`, v?.lv, 'lv'));
  nodes(a).forEach((n, i) => {
    if (typeof n?.name === 'string' && n.name.length > 63)
      out.push({
        path: `nodes[${i}].name`,
        message: `a host name is at most 63 characters; this one has ${n.name.length}`,
      });
    const fqdn = `${n?.name}.${a?.cluster?.domain}`;
    if (typeof n?.name === 'string' && typeof a?.cluster?.domain === 'string' && fqdn.length > 253)
      out.push({ path: `nodes[${i}].name`, message: `the FQDN ${fqdn.slice(0, 40)}... is longer than 253 characters` });
  });
  return out;
}

function checkVms(a: Raw): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  const vms: Raw[] = Array.isArray(a?.vms) ? a.vms : [];
  const res: Raw[] = Array.isArray(a?.storage?.resources) ? a.storage.resources : [];
  out.push(
    ...dupes(
      vms.map((v, i) => ({ value: v?.name, path: `vms[${i}].name` })),
      'VM name',
      'VM names must be unique',
    ),
  );
  out.push(
    ...dupes(
      vms.map((v, i) => ({ value: v?.lv, path: `vms[${i}].lv` })),
      'LV',
      'each VM needs its own LV',
    ),
  );
  vms.forEach((v, i) => {
    if (!nodes(a).some((n) => n?.name === v?.node)) {
      out.push({
        path: `vms[${i}].node`,
        message: `"${v?.node}" is not a node name; use ${nodes(a)
          .map((n) => n?.name)
          .join(' or ')}`,
      });
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
