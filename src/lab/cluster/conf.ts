/**
 * /etc/cluster/cluster.conf: a small XML reader (elements, attributes, comments; what cluster.conf
 * uses), the model cman and fenced read from it, and the checks `ccs_config_validate` and
 * `cman start` run (well-formed XML, the schema's required attributes and known elements, unique
 * node names and ids, fence methods naming defined devices with a known agent, two_node rules).
 */
import { FENCE_AGENTS } from './agents.js';

/** The file cman reads. */
export const CLUSTER_CONF = '/etc/cluster/cluster.conf';

/** One XML element. */
export interface XmlEl {
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  line: number;
}

/** A well-formedness error, located like libxml2 reports it. */
export class XmlError extends Error {
  constructor(
    public line: number,
    public reason: string,
  ) {
    super(`tempfile:${line}: parser error : ${reason}`);
  }
}

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(s: string, line: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);?/g, (m, e: string) => {
    if (!m.endsWith(';')) throw new XmlError(line, `EntityRef: expecting ';'`);
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    const v = ENT[e];
    if (v === undefined) throw new XmlError(line, `Entity '${e}' not defined`);
    return v;
  });
}

/** Parse an XML document into its root element; throws XmlError. */
export function parseXml(text: string): XmlEl {
  let i = 0;
  let line = 1;
  const stack: XmlEl[] = [];
  let root: XmlEl | undefined;
  const adv = (n: number) => {
    for (let k = 0; k < n; k++) if (text[i + k] === '\n') line++;
    i += n;
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.trim() && !stack.length)
      throw new XmlError(line, root ? 'Extra content at the end of the document' : "Start tag expected, '<' not found");
    adv(chunk.length);
    if (lt < 0) break;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) throw new XmlError(line, 'ParsePI: PI xml never end ...');
      adv(end + 2 - i);
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) throw new XmlError(line, 'Comment not terminated');
      adv(end + 3 - i);
      continue;
    }
    if (text.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(text.slice(i));
      if (!m) throw new XmlError(line, "expected '>'");
      const open = stack.pop();
      if (!open) throw new XmlError(line, 'Extra content at the end of the document');
      if (open.name !== m[1])
        throw new XmlError(line, `Opening and ending tag mismatch: ${open.name} line ${open.line} and ${m[1]}`);
      adv(m[0].length);
      continue;
    }
    const m = /^<([A-Za-z_][\w.-]*)/.exec(text.slice(i));
    if (!m) throw new XmlError(line, 'StartTag: invalid element name');
    if (root && !stack.length) throw new XmlError(line, 'Extra content at the end of the document');
    const el: XmlEl = { name: m[1], attrs: {}, children: [], line };
    adv(m[0].length);
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))![0];
      adv(ws.length);
      if (text.startsWith('/>', i)) {
        adv(2);
        if (stack.length) stack[stack.length - 1].children.push(el);
        else root = el;
        break;
      }
      if (text[i] === '>') {
        adv(1);
        if (stack.length) stack[stack.length - 1].children.push(el);
        else root = el;
        stack.push(el);
        break;
      }
      if (i >= text.length) throw new XmlError(line, `Couldn't find end of Start Tag ${el.name} line ${el.line}`);
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(i));
      if (!a) {
        if (!ws && /^[A-Za-z_]/.test(text.slice(i))) throw new XmlError(line, 'attributes construct error');
        throw new XmlError(
          line,
          /^[A-Za-z_][\w.:-]*\s*=\s*[^"']/.test(text.slice(i))
            ? 'AttValue: " or \' expected'
            : `Couldn't find end of Start Tag ${el.name} line ${el.line}`,
        );
      }
      if (el.attrs[a[1]] !== undefined) throw new XmlError(line, `Attribute ${a[1]} redefined`);
      el.attrs[a[1]] = unescape(a[3] ?? a[4] ?? '', line);
      adv(a[0].length);
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1];
    throw new XmlError(line, `Premature end of data in tag ${open.name} line ${open.line}`);
  }
  if (!root) throw new XmlError(line, 'Document is empty');
  return root;
}

/** One `<device>` of a fence method. */
export interface FenceDeviceRef {
  name: string;
  attrs: Record<string, string>;
}

/** One `<clusternode>`. */
export interface ConfNode {
  name: string;
  nodeid: number;
  votes: number;
  methods: { name: string; devices: FenceDeviceRef[] }[];
}

/** What cman, fenced and the tools read from cluster.conf. */
export interface ClusterConf {
  name: string;
  version: number;
  twoNode: boolean;
  expectedVotes?: number;
  nodes: ConfNode[];
  /** `<fencedevice>` attributes by name (agent included). */
  devices: Record<string, Record<string, string>>;
  /** fence_daemon post_join_delay, seconds (default 6). */
  postJoinDelay: number;
  /** totem token timeout, ms (cman's default 10000). */
  token: number;
  /** totem consensus, ms (default 1.2 × token, as cman sets it; the tutorial's objctl shows 2000 with secauth off). */
  consensus: number;
}

/** Elements the schema allows under `<cluster>` (an unknown one is a validity error). */
const TOP = new Set([
  'cman',
  'totem',
  'quorumd',
  'clusternodes',
  'fencedevices',
  'fence_daemon',
  'fence_xvmd',
  'dlm',
  'gfs_controld',
  'group',
  'logging',
  'rm',
  'uidgid',
  'clvmd',
]);
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** A validation failure: the lines ccs_config_validate prints before `Configuration fails to validate`. */
export class ConfInvalid extends Error {
  constructor(public lines: string[]) {
    super(lines.join('\n'));
  }
}

const intAttr = (v: string | undefined): number | undefined =>
  v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;

/**
 * Parse and check a cluster.conf text. Throws `ConfInvalid` with every problem found (XML errors stop
 * at the first, as libxml2 does).
 */
export function parseConf(text: string): ClusterConf {
  let root: XmlEl;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) throw new ConfInvalid([e.message]);
    throw e;
  }
  const errs: string[] = [];
  const bad = (el: XmlEl, msg: string) =>
    errs.push(`tempfile:${el.line}: element ${el.name}: Relax-NG validity error : ${msg}`);
  if (root.name !== 'cluster') {
    bad(root, `Expecting element cluster, got ${root.name}`);
    throw new ConfInvalid(errs);
  }
  const name = root.attrs.name;
  const version = intAttr(root.attrs.config_version);
  if (name === undefined) bad(root, 'Element cluster failed to validate attributes (name="" is missing)');
  else if (!name || !NAME_RE.test(name) || name.length > 16)
    bad(root, `Invalid attribute name for element cluster (name="${name}": 1-16 letters, digits, "-", "_" or ".")`);
  if (root.attrs.config_version === undefined)
    bad(root, 'Element cluster failed to validate attributes (config_version="" is missing)');
  else if (version === undefined || version < 1)
    bad(
      root,
      `Invalid attribute config_version for element cluster ("${root.attrs.config_version}" is not a positive integer)`,
    );
  const seen = new Set<string>();
  for (const c of root.children) {
    if (!TOP.has(c.name)) bad(c, `Extra element ${c.name} in interleave`);
    else if (seen.has(c.name) && c.name !== 'rm') bad(c, `Element ${c.name} appears more than once`);
    seen.add(c.name);
  }
  const one = (n: string) => root.children.find((c) => c.name === n);
  const cman = one('cman');
  const twoNode = cman?.attrs.two_node === '1';
  const expectedVotes = intAttr(cman?.attrs.expected_votes);
  if (cman?.attrs.two_node !== undefined && !/^[01]$/.test(cman.attrs.two_node))
    bad(cman, `Invalid attribute two_node for element cman ("${cman.attrs.two_node}": 0 or 1)`);
  if (cman?.attrs.expected_votes !== undefined && expectedVotes === undefined)
    bad(cman, `Invalid attribute expected_votes for element cman ("${cman.attrs.expected_votes}")`);

  // fence devices
  const devices: Record<string, Record<string, string>> = {};
  const fds = one('fencedevices');
  for (const d of fds?.children ?? []) {
    if (d.name !== 'fencedevice') {
      bad(d, `Expecting element fencedevice, got ${d.name}`);
      continue;
    }
    const dn = d.attrs.name;
    const agent = d.attrs.agent;
    if (!dn) bad(d, 'Element fencedevice failed to validate attributes (name="" is missing)');
    if (!agent) bad(d, 'Element fencedevice failed to validate attributes (agent="" is missing)');
    else if (!FENCE_AGENTS[agent])
      bad(
        d,
        `Invalid attribute agent for element fencedevice ("${agent}" is not a fence agent installed by fence-agents or cman)`,
      );
    if (dn && devices[dn]) bad(d, `fencedevice name "${dn}" is used twice (names must be unique)`);
    if (dn) devices[dn] = { ...d.attrs };
  }

  // nodes
  const nodes: ConfNode[] = [];
  const cns = one('clusternodes');
  if (!cns) bad(root, 'Expecting an element clusternodes, got nothing');
  for (const n of cns?.children ?? []) {
    if (n.name !== 'clusternode') {
      bad(n, `Expecting element clusternode, got ${n.name}`);
      continue;
    }
    const nn = n.attrs.name;
    const id = intAttr(n.attrs.nodeid);
    if (!nn) bad(n, 'Element clusternode failed to validate attributes (name="" is missing)');
    if (n.attrs.nodeid === undefined)
      bad(n, 'Element clusternode failed to validate attributes (nodeid="" is missing)');
    else if (id === undefined || id < 1)
      bad(n, `Invalid attribute nodeid for element clusternode ("${n.attrs.nodeid}" is not a positive integer)`);
    if (nn && nodes.some((x) => x.name === nn)) bad(n, `clusternode name "${nn}" is used twice`);
    if (id !== undefined && nodes.some((x) => x.nodeid === id)) bad(n, `clusternode nodeid "${id}" is used twice`);
    const methods: ConfNode['methods'] = [];
    for (const f of n.children) {
      if (f.name === 'altname' || f.name === 'unfence') continue;
      if (f.name !== 'fence') {
        bad(f, `Extra element ${f.name} in interleave`);
        continue;
      }
      for (const m of f.children) {
        if (m.name !== 'method') {
          bad(m, `Expecting element method, got ${m.name}`);
          continue;
        }
        if (!m.attrs.name) bad(m, 'Element method failed to validate attributes (name="" is missing)');
        const devs: FenceDeviceRef[] = [];
        for (const d of m.children) {
          if (d.name !== 'device') {
            bad(d, `Expecting element device, got ${d.name}`);
            continue;
          }
          const dn = d.attrs.name;
          if (!dn) bad(d, 'Element device failed to validate attributes (name="" is missing)');
          else if (!devices[dn])
            bad(
              d,
              `device "${dn}" of method "${m.attrs.name ?? ''}" of clusternode "${nn ?? ''}" is not defined in <fencedevices>`,
            );
          devs.push({ name: dn ?? '', attrs: { ...d.attrs } });
        }
        if (!devs.length) bad(m, `method "${m.attrs.name ?? ''}" of clusternode "${nn ?? ''}" has no device`);
        methods.push({ name: m.attrs.name ?? '', devices: devs });
      }
    }
    nodes.push({ name: nn ?? '', nodeid: id ?? 0, votes: intAttr(n.attrs.votes) ?? 1, methods });
  }
  if (cns && !nodes.length) bad(cns, 'Expecting an element clusternode, got nothing');
  if (twoNode) {
    if (expectedVotes !== 1) bad(cman, 'two_node="1" requires expected_votes="1"');
    if (nodes.length !== 2) bad(cman, `two_node="1" needs exactly 2 clusternodes, found ${nodes.length}`);
  }
  const fd = one('fence_daemon');
  const pjdRaw = fd?.attrs.post_join_delay;
  const pjd = intAttr(pjdRaw);
  if (pjdRaw !== undefined && pjd === undefined)
    bad(fd!, `Invalid attribute post_join_delay for element fence_daemon ("${pjdRaw}")`);
  const totem = one('totem');
  const tokenRaw = totem?.attrs.token;
  const token = intAttr(tokenRaw);
  if (tokenRaw !== undefined && token === undefined)
    bad(totem!, `Invalid attribute token for element totem ("${tokenRaw}")`);
  if (totem?.attrs.secauth !== undefined && !/^(on|off)$/.test(totem.attrs.secauth))
    bad(totem, `Invalid attribute secauth for element totem ("${totem.attrs.secauth}": on or off)`);
  if (errs.length) throw new ConfInvalid(errs);
  return {
    name: name,
    version: version!,
    twoNode,
    ...(expectedVotes !== undefined ? { expectedVotes } : {}),
    nodes,
    devices,
    postJoinDelay: pjd ?? 6,
    token: token ?? 10000,
    consensus: intAttr(totem?.attrs.consensus) ?? 2000,
  };
}
