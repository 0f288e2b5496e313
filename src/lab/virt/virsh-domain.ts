/**
 * virsh's domain subcommands (libvirt 0.10.2 on EL6.4): list, dominfo, domstate, domid, domuuid,
 * domblklist, dumpxml, define, create, undefine, start, shutdown, destroy, migrate, change-media.
 * Messages and exit codes as virsh prints them: results on stdout, `error: ...` lines on stderr, and the blank
 * line virsh prints after every command on stdout; exit 1 on failure.
 */
import { createHash } from 'node:crypto';
import type { CmdCtx } from '../node/command.js';
import type { VirshSub } from '../commands/virsh.js';
import { sshConnect } from '../commands/ssh-connect.js';
import { DefineError, parseDomainXml } from './domain.js';
import { XmlError } from './xml.js';
import { VirtError, virtModel, type VirtModel } from './model.js';
import { worldOf } from '../world/world.js';

/** Options of a virsh subcommand: flags, `--opt value` pairs (for `valued`), operands in order. */
function opts(args: string[], valued: string[] = []): { flags: Set<string>; vals: Map<string, string>; pos: string[] } {
  const flags = new Set<string>();
  const vals = new Map<string, string>();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const k = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) vals.set(k, a.slice(eq + 1));
      else if (valued.includes(k)) vals.set(k, args[++i] ?? '');
      else flags.add(k);
    } else pos.push(a);
  }
  return { flags, vals, pos };
}

/** Print virsh's error lines and its trailing blank line; exit 1. */
function fail(ctx: CmdCtx, ...lines: string[]): number {
  ctx.err(
    lines
      .filter(Boolean)
      .map((l) => `error: ${l}\n`)
      .join(''),
  );
  ctx.out('\n');
  return 1;
}

function model(ctx: CmdCtx): VirtModel {
  const m = virtModel(worldOf(ctx.node));
  if (!m) throw new Error('the lab has no virt subsystem');
  return m;
}

/** The domain operand (`--domain X` or the first operand), resolved as virsh does. */
function domainArg(ctx: CmdCtx, o: ReturnType<typeof opts>, idx = 0): { name?: string; code?: number } {
  const ref = o.vals.get('domain') ?? o.pos[idx];
  if (!ref) return { code: fail(ctx, 'command requires option --domain') };
  const name = model(ctx).lookup(ctx.node.name, ref);
  if (!name)
    return {
      code: fail(ctx, `failed to get domain '${ref}'`, `Domain not found: no domain with matching name '${ref}'`),
    };
  return { name };
}

/** Read an XML file operand for define/create. */
function readXml(ctx: CmdCtx, file: string | undefined): { xml?: string; code?: number } {
  if (!file) return { code: fail(ctx, 'command requires option --file') };
  try {
    const st = ctx.node.fs.stat(ctx.sh.resolve(file));
    if (st?.type === 'dir') return { code: fail(ctx, `Failed to read file '${file}' to buffer: Is a directory`) };
    return { xml: ctx.node.fs.readText(ctx.sh.resolve(file)) };
  } catch {
    return { code: fail(ctx, `Failed to open file '${file}': No such file or directory`) };
  }
}

function parseDef(ctx: CmdCtx, xml: string, file: string) {
  try {
    return { def: parseDomainXml(xml, `${ctx.node.name}:${file}:${xml.length}`) };
  } catch (e) {
    if (e instanceof XmlError) return { error: `(domain_definition):${e.line}: ${e.message}` };
    if (e instanceof DefineError) return { error: e.message };
    throw e;
  }
}

/** Run a model operation, turning its VirtError into virsh's two error lines. */
function attempt(ctx: CmdCtx, first: string, fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof VirtError) return fail(ctx, first, e.message);
    throw e;
  }
}

const HEADER = ` ${'Id'.padEnd(5)} ${'Name'.padEnd(30)} State\n${'-'.repeat(52)}\n`;

const list: VirshSub = (ctx, args) => {
  const o = opts(args);
  const m = model(ctx);
  const node = ctx.node.name;
  const all = o.flags.has('all');
  const inactive = o.flags.has('inactive');
  const rows = m.names(node).map((n) => ({ name: n, id: m.record(node, n)!.live?.rt.id, state: m.state(node, n)! }));
  // NOTE: virsh sorts running domains by id, then the inactive ones by name.
  const active = rows.filter((r) => r.id !== undefined).sort((a, b) => a.id! - b.id!);
  const off = rows.filter((r) => r.id === undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const shown = [...(inactive && !all ? [] : active), ...(all || inactive ? off : [])];
  if (o.flags.has('name')) {
    ctx.out(shown.map((r) => `${r.name}\n`).join('') + '\n');
    return 0;
  }
  ctx.out(
    HEADER + shown.map((r) => ` ${String(r.id ?? '-').padEnd(5)} ${r.name.padEnd(30)} ${r.state}\n`).join('') + '\n',
  );
  return 0;
};

const dominfo: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const m = model(ctx);
  const node = ctx.node.name;
  const r = m.record(node, d.name)!;
  const def = r.live?.def ?? r.config!;
  const line = (k: string, v: string | number) => `${k.padEnd(15)} ${v}\n`;
  let out =
    line('Id:', r.live ? r.live.rt.id : '-') +
    line('Name:', def.name) +
    line('UUID:', def.uuid) +
    line('OS Type:', def.os.type) +
    line('State:', m.state(node, d.name)!) +
    line('CPU(s):', def.vcpu);
  if (r.live) {
    const secs = ((ctx.node.world.now() - r.live.startedAt) / 1000) * def.vcpu * 0.04 + 0.8;
    out += line('CPU time:', `${secs.toFixed(1)}s`);
  }
  out +=
    line('Max memory:', `${def.memory} KiB`) +
    line('Used memory:', `${def.currentMemory} KiB`) +
    line('Persistent:', r.config ? 'yes' : 'no') +
    line('Autostart:', 'disable') +
    line('Managed save:', 'no');
  const se = ctx.node.selinux;
  if (se === 'Disabled') out += line('Security model:', 'none') + line('Security DOI:', '0');
  else {
    out += line('Security model:', 'selinux') + line('Security DOI:', '0');
    if (r.live) {
      const h = createHash('md5').update(`${def.uuid}:${r.live.rt.id}`).digest();
      const a = h.readUInt16BE(0) % 1024;
      const b = (a + 1 + (h.readUInt16BE(2) % 1023)) % 1024;
      out += line(
        'Security label:',
        `system_u:system_r:svirt_t:s0:c${Math.min(a, b)},c${Math.max(a, b)} (${se === 'Enforcing' ? 'enforcing' : 'permissive'})`,
      );
    }
  }
  ctx.out(out + '\n');
  return 0;
};

const domstate: VirshSub = (ctx, args) => {
  const o = opts(args);
  const d = domainArg(ctx, o);
  if (!d.name) return d.code!;
  const st = model(ctx).state(ctx.node.name, d.name)!;
  const reason = st === 'running' ? 'booted' : st === 'shut off' ? 'unknown' : 'unknown';
  ctx.out(o.flags.has('reason') ? `${st} (${reason})\n\n` : `${st}\n\n`);
  return 0;
};

const domid: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const live = model(ctx).record(ctx.node.name, d.name)!.live;
  ctx.out(`${live ? live.rt.id : '-'}\n\n`);
  return 0;
};

const domuuid: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const r = model(ctx).record(ctx.node.name, d.name)!;
  ctx.out(`${(r.live?.def ?? r.config!).uuid}\n\n`);
  return 0;
};

/** `virsh domblklist X [--inactive]`: target and source of every disk (`-` when empty). */
const domblklist: VirshSub = (ctx, args) => {
  const o = opts(args);
  const d = domainArg(ctx, o);
  if (!d.name) return d.code!;
  const r = model(ctx).record(ctx.node.name, d.name)!;
  const def = (o.flags.has('inactive') && r.config) || r.live?.def || r.config!;
  const rows = def.disks.map((k) => `${k.target.dev.padEnd(10)} ${k.source ?? '-'}\n`).join('');
  ctx.out(`${'Target'.padEnd(10)} Source\n${'-'.repeat(48)}\n${rows}\n`);
  return 0;
};

const dumpxml: VirshSub = (ctx, args) => {
  const o = opts(args);
  const d = domainArg(ctx, o);
  if (!d.name) return d.code!;
  ctx.out(model(ctx).xml(ctx.node.name, d.name, o.flags.has('inactive')) + '\n');
  return 0;
};

const define: VirshSub = (ctx, args) => {
  const o = opts(args, ['file']);
  const file = o.vals.get('file') ?? o.pos[0];
  const x = readXml(ctx, file);
  if (x.xml === undefined) return x.code!;
  const p = parseDef(ctx, x.xml, file);
  if (!p.def) return fail(ctx, `Failed to define domain from ${file}`, p.error);
  const code = attempt(ctx, `Failed to define domain from ${file}`, () => model(ctx).define(ctx.node.name, p.def));
  if (code !== undefined) return code;
  ctx.out(`Domain ${p.def.name} defined from ${file}\n\n`);
  return 0;
};

const create: VirshSub = (ctx, args) => {
  const o = opts(args, ['file']);
  const file = o.vals.get('file') ?? o.pos[0];
  const x = readXml(ctx, file);
  if (x.xml === undefined) return x.code!;
  const p = parseDef(ctx, x.xml, file);
  if (!p.def) return fail(ctx, `Failed to create domain from ${file}`, p.error);
  const code = attempt(ctx, `Failed to create domain from ${file}`, () =>
    model(ctx).createDomain(ctx.node.name, p.def, 'virsh create'),
  );
  if (code !== undefined) return code;
  ctx.out(`Domain ${p.def.name} created from ${file}\n\n`);
  return 0;
};

const undefine: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const code = attempt(ctx, `Failed to undefine domain ${d.name}`, () => model(ctx).undefine(ctx.node.name, d.name!));
  if (code !== undefined) return code;
  ctx.out(`Domain ${d.name} has been undefined\n\n`);
  return 0;
};

const start: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const m = model(ctx);
  if (m.isRunning(ctx.node.name, d.name)) return fail(ctx, 'Domain is already active');
  const code = attempt(ctx, `Failed to start domain ${d.name}`, () =>
    m.startDomain(ctx.node.name, d.name!, 'virsh start'),
  );
  if (code !== undefined) return code;
  ctx.out(`Domain ${d.name} started\n\n`);
  return 0;
};

const shutdown: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const code = attempt(ctx, `Failed to shutdown domain ${d.name}`, () =>
    model(ctx).shutdownDomain(ctx.node.name, d.name!),
  );
  if (code !== undefined) return code;
  ctx.out(`Domain ${d.name} is being shutdown\n\n`);
  return 0;
};

const destroy: VirshSub = (ctx, args) => {
  const d = domainArg(ctx, opts(args));
  if (!d.name) return d.code!;
  const code = attempt(ctx, `Failed to destroy domain ${d.name}`, () =>
    model(ctx).destroyDomain(ctx.node.name, d.name!),
  );
  if (code !== undefined) return code;
  ctx.out(`Domain ${d.name} destroyed\n\n`);
  return 0;
};

/**
 * `virsh migrate [--live] X qemu+ssh://[user@]host/system`: connects to the peer over SSH as
 * root (keys, known_hosts: as `ssh` would), then moves the running guest there.
 */
const migrate: VirshSub = (ctx, args) => {
  const o = opts(args, ['desturi', 'migrateuri', 'dname', 'timeout', 'xml']);
  const d = domainArg(ctx, o);
  if (!d.name) return d.code!;
  const uri = o.vals.get('desturi') ?? o.pos[1];
  if (!uri) return fail(ctx, 'command requires option --desturi');
  const m = /^qemu(\+ssh|\+tcp|\+tls)?:\/\/(?:([^@/]+)@)?([^/:]+)(?::\d+)?\/system$/.exec(uri);
  if (!m) return fail(ctx, `internal error Unable to parse URI ${uri}`);
  if (m[1] !== '+ssh')
    return fail(
      ctx,
      `unable to connect to server at '${m[3]}:16509': Connection refused`,
      'failed to connect to the hypervisor',
    );
  let err = '';
  const conn = sshConnect({ ...ctx, err: (s: string) => (err += s) }, m[2] ? `${m[2]}@${m[3]}` : m[3], {
    identities: [],
    opts: { batchmode: 'yes' },
  });
  if (!conn)
    return fail(
      ctx,
      `Cannot recv data: ${err.replace(/\r?\n$/, '').replace(/\r\n/g, '\r\n')}: Connection reset by peer`,
    );
  const code = attempt(ctx, '', () => model(ctx).migrateDomain(ctx.node.name, d.name!, conn.node.name));
  if (code !== undefined) return code;
  ctx.out('\n');
  return 0;
};

const changeMedia: VirshSub = (ctx, args) => {
  const o = opts(args, ['path', 'source']);
  const d = domainArg(ctx, o);
  if (!d.name) return d.code!;
  const path = o.vals.get('path') ?? o.pos[1];
  if (!path) return fail(ctx, 'command requires option --path');
  const source = o.vals.get('source') ?? o.pos[2];
  const eject = o.flags.has('eject');
  if (!eject && !source) return fail(ctx, 'No disk source specified for change-media action');
  const mm = model(ctx);
  let live = o.flags.has('live');
  let config = o.flags.has('config');
  if (o.flags.has('current') || (!live && !config)) {
    live = mm.isRunning(ctx.node.name, d.name);
    config = !live;
  }
  let what = '';
  const code = attempt(ctx, `Failed to complete action ${eject ? 'eject' : 'insert'} on media`, () => {
    what = mm.changeMedia(ctx.node.name, d.name!, path, eject ? undefined : source, live, config);
  });
  if (code !== undefined) return code;
  ctx.out(`Successfully ${what} media.\n\n`);
  return 0;
};

/** virsh's domain subcommands, by name. */
export const VIRSH_DOMAIN: Readonly<Record<string, VirshSub>> = {
  list,
  dominfo,
  domstate,
  domid,
  domuuid,
  domblklist,
  dumpxml,
  define,
  create,
  undefine,
  start,
  shutdown,
  destroy,
  migrate,
  'change-media': changeMedia,
};
