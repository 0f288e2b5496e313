/**
 * DRBD 8.3 configuration as drbdadm reads it: /etc/drbd.conf with its `include`s (globs in file-name
 * order), `global`, `common` and `resource` sections, `on <host>` sections matched against
 * `uname -n`, and the normalised `drbdadm dump` output (tutorial 2472–2540).
 */
import type { LabNode } from '../node/node.js';
import { dirname } from '../fs/path.js';

/** `key value;` pairs of a section, in file order. */
export type Opts = [string, string | null][];

/** One `on <host>` section. */
export interface OnHost {
  host: string;
  device?: string;
  disk?: string;
  address?: string;
  metaDisk?: string;
}

/** A resource after merging common options. */
export interface DrbdResource {
  name: string;
  protocol: string;
  net: Opts;
  disk: Opts;
  syncer: Opts;
  startup: Opts;
  handlers: Opts;
  on: OnHost[];
}

/** The parsed configuration. */
export interface DrbdConfig {
  common: { protocol?: string; net: Opts; disk: Opts; syncer: Opts; startup: Opts; handlers: Opts };
  resources: DrbdResource[];
}

/** A config error as drbdadm prints it (`drbdadm: <file>:<line>: ...`). */
export class DrbdConfError extends Error {}

type Tok = { t: string; line: number; file: string; q?: boolean };

function tokenize(text: string, file: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ t: c, line, file });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        if (text[j] === '\n') line++;
        s += text[j++];
      }
      out.push({ t: s, line, file, q: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};#"]/.test(text[j])) j++;
      out.push({ t: text.slice(i, j), line, file });
      i = j;
    }
  }
  return out;
}

function globFiles(node: LabNode, pattern: string): string[] {
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (!/[*?[]/.test(base)) return node.fs.exists(pattern) ? [pattern] : [];
  const re = new RegExp(
    '^' +
      base
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  let names: string[] = [];
  try {
    names = node.fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => `${dir}/${n}`);
}

/** Tokens of /etc/drbd.conf with includes expanded. */
function load(node: LabNode, path: string, depth = 0): Tok[] {
  if (depth > 5) throw new DrbdConfError(`${path}: includes nested too deeply`);
  let text: string;
  try {
    text = node.fs.readText(path);
  } catch {
    throw new DrbdConfError(`open(${path}) failed: No such file or directory`);
  }
  const toks = tokenize(text, path);
  const out: Tok[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].t === 'include' && !toks[i].q) {
      const pat = toks[i + 1];
      if (!pat || toks[i + 2]?.t !== ';')
        throw new DrbdConfError(`${path}:${toks[i].line}: Parse error: 'include' needs a file name and ';'`);
      const full = pat.t.startsWith('/') ? pat.t : `${dirname(path)}/${pat.t}`;
      for (const f of globFiles(node, full)) out.push(...load(node, f, depth + 1));
      i += 2;
      continue;
    }
    out.push(toks[i]);
  }
  return out;
}

const SECTIONS = new Set(['net', 'disk', 'syncer', 'startup', 'handlers']);
const KNOWN: Record<string, Set<string>> = {
  net: new Set([
    'allow-two-primaries',
    'after-sb-0pri',
    'after-sb-1pri',
    'after-sb-2pri',
    'rr-conflict',
    'cram-hmac-alg',
    'shared-secret',
    'timeout',
    'connect-int',
    'ping-int',
    'ping-timeout',
    'max-buffers',
    'max-epoch-size',
    'ko-count',
    'sndbuf-size',
    'rcvbuf-size',
    'unplug-watermark',
    'data-integrity-alg',
    'no-tcp-cork',
    'always-asbp',
    'discard-my-data',
  ]),
  disk: new Set([
    'fencing',
    'on-io-error',
    'size',
    'max-bio-bvecs',
    'no-disk-barrier',
    'no-disk-flushes',
    'no-disk-drain',
    'no-md-flushes',
    'use-bmbv',
  ]),
  syncer: new Set([
    'rate',
    'al-extents',
    'after',
    'verify-alg',
    'csums-alg',
    'cpu-mask',
    'use-rle',
    'c-plan-ahead',
    'c-fill-target',
    'c-max-rate',
    'c-min-rate',
    'c-delay-target',
    'on-no-data-accessible',
  ]),
  startup: new Set([
    'wfc-timeout',
    'degr-wfc-timeout',
    'outdated-wfc-timeout',
    'wait-after-sb',
    'become-primary-on',
    'stacked-timeouts',
  ]),
  handlers: new Set([
    'pri-on-incon-degr',
    'pri-lost-after-sb',
    'local-io-error',
    'fence-peer',
    'split-brain',
    'initial-split-brain',
    'before-resync-target',
    'after-resync-target',
    'pri-lost',
    'out-of-sync',
  ]),
};

/** Parse the configuration the node's drbdadm would read. */
export function readDrbdConfig(node: LabNode): DrbdConfig {
  const toks = load(node, '/etc/drbd.conf');
  let i = 0;
  const peek = () => toks[i];
  const next = (): Tok => {
    const t = toks[i++];
    if (!t) throw new DrbdConfError(`Parse error: unexpected end of file`);
    return t;
  };
  const expect = (s: string) => {
    const t = next();
    if (t.t !== s || t.q)
      throw new DrbdConfError(`${t.file}:${t.line}: Parse error: '${s}' expected,\n\tbut got '${t.t}'`);
  };
  const section = (name: string): Opts => {
    expect('{');
    const opts: Opts = [];
    for (;;) {
      const t = next();
      if (t.t === '}' && !t.q) return opts;
      if (!KNOWN[name].has(t.t))
        throw new DrbdConfError(
          `${t.file}:${t.line}: Parse error: '${t.t}' is not a valid option in the ${name} section`,
        );
      const v = next();
      if (v.t === ';' && !v.q) opts.push([t.t, null]);
      else {
        opts.push([t.t, v.t]);
        expect(';');
      }
    }
  };
  const cfg: DrbdConfig = { common: { net: [], disk: [], syncer: [], startup: [], handlers: [] }, resources: [] };
  while (peek()) {
    const t = next();
    if (t.t === 'global') {
      expect('{');
      while (peek() && peek().t !== '}') next();
      expect('}');
    } else if (t.t === 'common') {
      expect('{');
      for (;;) {
        const k = next();
        if (k.t === '}') break;
        if (k.t === 'protocol') {
          cfg.common.protocol = next().t;
          expect(';');
        } else if (SECTIONS.has(k.t)) (cfg.common as unknown as Record<string, Opts>)[k.t].push(...section(k.t));
        else throw new DrbdConfError(`${k.file}:${k.line}: Parse error: '${k.t}' unexpected in common`);
      }
    } else if (t.t === 'resource') {
      const name = next();
      expect('{');
      const r: DrbdResource = {
        name: name.t,
        protocol: '',
        net: [],
        disk: [],
        syncer: [],
        startup: [],
        handlers: [],
        on: [],
      };
      const shared: OnHost = { host: '' };
      for (;;) {
        const k = next();
        if (k.t === '}') break;
        if (k.t === 'on') {
          const host = next();
          expect('{');
          const on: OnHost = { host: host.t };
          for (;;) {
            const kk = next();
            if (kk.t === '}') break;
            const v = next();
            if (kk.t === 'device') on.device = v.t;
            else if (kk.t === 'disk') on.disk = v.t;
            else if (kk.t === 'address') on.address = v.t;
            else if (kk.t === 'meta-disk') on.metaDisk = v.t;
            else throw new DrbdConfError(`${kk.file}:${kk.line}: Parse error: '${kk.t}' unexpected in an 'on' section`);
            if (v.t === 'minor') {
              next();
            }
            expect(';');
          }
          r.on.push(on);
        } else if (k.t === 'protocol') {
          r.protocol = next().t;
          expect(';');
        } else if (SECTIONS.has(k.t)) (r as unknown as Record<string, Opts>)[k.t].push(...section(k.t));
        else if (['device', 'disk', 'address', 'meta-disk'].includes(k.t)) {
          const v = next();
          if (k.t === 'device') shared.device = v.t;
          else if (k.t === 'disk') shared.disk = v.t;
          else if (k.t === 'address') shared.address = v.t;
          else shared.metaDisk = v.t;
          expect(';');
        } else throw new DrbdConfError(`${k.file}:${k.line}: Parse error: '${k.t}' unexpected in resource ${r.name}`);
      }
      for (const on of r.on) {
        on.device ??= shared.device;
        on.disk ??= shared.disk;
        on.metaDisk ??= shared.metaDisk;
        on.address ??= shared.address;
      }
      cfg.resources.push(r);
    } else throw new DrbdConfError(`${t.file}:${t.line}: Parse error: '${t.t}' unexpected`);
  }
  const merge = (own: Opts, common: Opts): Opts => {
    const out: Opts = [...common.filter(([k]) => !own.some(([o]) => o === k))];
    return [...out, ...own];
  };
  for (const r of cfg.resources) {
    r.protocol ||= cfg.common.protocol ?? 'C';
    r.net = merge(r.net, cfg.common.net);
    r.disk = merge(r.disk, cfg.common.disk);
    r.syncer = merge(r.syncer, cfg.common.syncer);
    r.startup = merge(r.startup, cfg.common.startup);
    r.handlers = merge(r.handlers, cfg.common.handlers);
  }
  validate(cfg);
  return cfg;
}

function validate(cfg: DrbdConfig): void {
  const seen = new Map<string, string>();
  const names = new Set<string>();
  for (const r of cfg.resources) {
    if (names.has(r.name)) throw new DrbdConfError(`conflicting use of resource name '${r.name}'`);
    names.add(r.name);
    if (r.on.length !== 2) throw new DrbdConfError(`resource ${r.name}: needs two 'on' sections (has ${r.on.length})`);
    for (const on of r.on) {
      for (const [k, v] of [
        ['device', on.device],
        ['disk', on.disk],
        ['address', on.address],
        ['meta-disk', on.metaDisk],
      ] as const)
        if (!v) throw new DrbdConfError(`resource ${r.name}: on ${on.host}: missing statement '${k}'`);
      if (!/^\/dev\/drbd\d+$/.test(on.device!))
        throw new DrbdConfError(`resource ${r.name}: on ${on.host}: device name must be /dev/drbdN (got ${on.device})`);
      if (!/^(\d{1,3}\.){3}\d{1,3}:\d+$/.test(on.address!))
        throw new DrbdConfError(`resource ${r.name}: on ${on.host}: address '${on.address}' is not IP:PORT`);
      for (const [kind, val] of [
        ['address', on.address!],
        ['device', `${on.host}:${on.device}`],
        ['disk', `${on.host}:${on.disk}`],
      ] as const) {
        const key = `${kind}:${val}`;
        const prev = seen.get(key);
        if (prev && prev !== r.name)
          throw new DrbdConfError(
            `${kind} ${val.replace(/^[^:]*:(?=\/)/, '')} in resource ${r.name} is already used in resource ${prev}`,
          );
        seen.set(key, r.name);
      }
    }
  }
}

/** A value as drbdadm dump writes it (quoted when it holds blanks or specials). */
function esc(v: string): string {
  return /[\s;{}"#]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v;
}

const STARTUP_ORDER = [
  'wfc-timeout',
  'degr-wfc-timeout',
  'outdated-wfc-timeout',
  'wait-after-sb',
  'stacked-timeouts',
  'become-primary-on',
];

function kv(indent: number, [k, v]: [string, string | null]): string {
  // NOTE: 8.3 prints values with printf's %3s: short numbers are right-aligned (`degr-wfc-timeout  90;`).
  return `${' '.repeat(indent)}${v === null ? `${k};` : `${k.padEnd(16)} ${esc(v).padStart(3)};`}`;
}

function dumpSection(name: string, opts: Opts, indent: number): string[] {
  if (!opts.length) return [];
  const o =
    name === 'startup' ? [...opts].sort((a, b) => STARTUP_ORDER.indexOf(a[0]) - STARTUP_ORDER.indexOf(b[0])) : opts;
  return [`${' '.repeat(indent)}${name} {`, ...o.map((x) => kv(indent + 4, x)), `${' '.repeat(indent)}}`];
}

/** `drbdadm dump [res...]` as 8.3 prints it on this host. */
export function dumpConfig(cfg: DrbdConfig, host: string, only?: string[]): string {
  const lines = ['# /etc/drbd.conf'];
  const c = cfg.common;
  if (!only) {
    lines.push('common {');
    if (c.protocol) lines.push(`    ${'protocol'.padEnd(22)} ${c.protocol};`);
    for (const s of ['net', 'disk', 'syncer', 'startup', 'handlers'] as const) lines.push(...dumpSection(s, c[s], 4));
    lines.push('}', '');
  }
  const minorOf = (d: string) => /(\d+)$/.exec(d)![1];
  for (const r of cfg.resources) {
    if (only && !only.includes(r.name)) continue;
    lines.push(`# resource ${r.name} on ${host}: not ignored, not stacked`, `resource ${r.name} {`);
    // NOTE: options equal to common's are inherited and not repeated.
    const own = (s: 'net' | 'disk' | 'syncer' | 'startup' | 'handlers') =>
      r[s].filter(([k, v]) => !c[s].some(([ck, cv]) => ck === k && cv === v));
    if (r.protocol !== (c.protocol ?? 'C')) lines.push(`    ${'protocol'.padEnd(22)} ${r.protocol};`);
    for (const on of r.on)
      lines.push(
        `    on ${on.host} {`,
        kv(8, ['device', `${on.device} minor ${minorOf(on.device!)}`]).replace(/"/g, ''),
        kv(8, ['disk', on.disk!]),
        kv(8, ['address', `ipv4 ${on.address}`]).replace(/"/g, ''),
        kv(8, ['meta-disk', on.metaDisk!]),
        '    }',
      );
    for (const s of ['net', 'disk', 'syncer', 'startup', 'handlers'] as const) lines.push(...dumpSection(s, own(s), 4));
    lines.push('}', '');
  }
  // NOTE: drbdadm-83 ends the dump with an empty line (checked against the real 8.3 parser).
  return lines.join('\n') + '\n';
}

/** The `on` section of this host and the peer's, or why there is none. */
export function hostSections(r: DrbdResource, host: string): { me: OnHost; peer: OnHost } | string {
  const me = r.on.find((o) => o.host === host);
  if (!me) return `'${r.name}' ignored, since this host (${host}) is not mentioned with an 'on' keyword.`;
  const peer = r.on.find((o) => o !== me)!;
  return { me, peer };
}

/** An option's value (null for a flag that is set, undefined when absent). */
export function opt(o: Opts, key: string): string | null | undefined {
  const hit = o.find(([k]) => k === key);
  return hit ? hit[1] : undefined;
}
