/**
 * GFS2 (gfs2-utils 3.0.12): mkfs.gfs2, gfs2_tool sb, mount/umount of lock_dlm file systems (one
 * shared file tree per file system, mounted into each node's fs), /proc/mounts, df, the gfs2 init
 * script working from /etc/fstab, and journal replay after a peer was fenced.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { worldOf, type World } from '../world/world.js';
import { type ActionResult, type ServiceDef } from '../node/services.js';
import { statusLine } from '../node/rc.js';
import { clusterView } from '../cluster/view.js';
import { normalize } from '../fs/path.js';
import { human } from '../commands/util.js';
import { hexId, st, storageOf, type MountRt, type Storage } from './state.js';
import { lvMeta, lvOf, lvOpenCount, mapperName } from './lvm.js';
import type { ProcFileFn } from '../node/proc.js';

const BLOCK = 4096;

function uuid(world: World): string {
  const h = hexId(world, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const mkfs: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let proto = 'lock_dlm';
  let journals = 1;
  let table = '';
  let override = false;
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === '-p') proto = a[++i] ?? '';
    else if (x === '-j') journals = Number(a[++i]);
    else if (x === '-t') table = a[++i] ?? '';
    else if (x === '-O') override = true;
    else if (x === '-b' || x === '-J' || x === '-r') i++;
    else rest.push(x);
  }
  const dev = rest[0];
  if (!dev) {
    ctx.err('mkfs.gfs2: No device specified. Use -h for help\n');
    return 1;
  }
  if (proto === 'lock_dlm' && !/^[^:]{1,16}:[^:]{1,16}$/.test(table)) {
    ctx.err(
      `mkfs.gfs2: locktable error: ${table ? 'The lock table name must be of the form clustername:fsname' : 'no lock table specified'}\n`,
    );
    return 1;
  }
  if (!Number.isInteger(journals) || journals < 1) {
    ctx.err('mkfs.gfs2: bad number of journals\n');
    return 1;
  }
  const lv = lvOf(ctx.node, dev);
  // NOTE: gfs2-utils 3.0.12 gfs2/mkfs/main_mkfs.c `check_mount()`, before the question: die() (libgfs2.h:
  // "<file>: " + message, exit(-1) = 255) when the device cannot be stat'ed or an O_EXCL open says EBUSY
  // (a mount or another exclusive holder on this node).
  if (!ctx.node.fs.exists(dev)) {
    ctx.err(`libgfs2.h: could not stat device ${dev}\n`);
    return 255;
  }
  if (!lv) {
    if (ctx.node.fs.stat(dev)?.device === 'block') {
      ctx.err(`mkfs.gfs2: ${dev}: the lab models GFS2 on logical volumes only\n`);
      return 1;
    }
    ctx.err(`libgfs2.h: ${dev} is not a block device\n`);
    return 255;
  }
  if (lvOpenCount(ctx.node, lv.key) > 0) {
    ctx.err(`libgfs2.h: device ${dev} is busy\n`);
    return 255;
  }
  const meta = lvMeta(ctx.node, lv.vg, lv.lv);
  const l = meta.read();
  if (!override) {
    const link = ctx.node.fs.lstat(dev);
    const what =
      link?.type === 'link'
        ? `symbolic link to \`${link.target}'`
        : l?.fs
          ? `Linux GFS2 Filesystem (blocksize 4096, lockproto ${proto})`
          : 'data';
    // NOTE: gfs2-utils 3.0.12's are_you_sure(): a blank line before the question, fgets() on stdin,
    // only an answer starting with 'y' goes on (then a newline); the wiki copy lost the blank lines.
    ctx.out(
      `This will destroy any data on ${dev}.\nIt appears to contain: ${what}\n\nAre you sure you want to proceed? [y/n] `,
    );
    if (ctx.stdin === '') {
      ctx.err('mkfs.gfs2: unable to read from stdin\n');
      return 255;
    }
    if (!ctx.stdin.startsWith('y')) {
      ctx.err('mkfs.gfs2: aborted\n');
      return 255;
    }
    ctx.out('\n');
  }
  const blocks = (l!.extents * 4096 * 1024) / BLOCK;
  const sb = { type: 'gfs2' as const, uuid: uuid(worldOf(ctx.node)), lockTable: table, journals, blocks };
  st(ctx.node).record(ctx.node, 'mkfs.gfs2', `${dev} (${table})`);
  meta.write((x) => (x.fs = sb));
  // NOTE: a new file system: a fresh, empty tree.
  storageOf(worldOf(ctx.node)).trees.delete(sb.uuid);
  storageOf(worldOf(ctx.node)).tree(sb.uuid);
  const gib = (n: number) => `${((n * BLOCK) / 1024 ** 3).toFixed(2)} GB`;
  ctx.out(
    [
      `Device:                    ${dev}`,
      `Blocksize:                 ${BLOCK}`,
      `Device Size                ${gib(blocks)} (${blocks} blocks)`,
      `Filesystem Size:           ${gib(blocks - 3)} (${blocks - 3} blocks)`,
      `Journals:                  ${journals}`,
      `Resource Groups:           ${Math.ceil((blocks * BLOCK) / (256 * 1024 * 1024))}`,
      `Locking Protocol:          "${proto}"`,
      `Lock Table:                "${table}"`,
      `UUID:                      ${sb.uuid}`,
      '',
    ].join('\n'),
  );
  ctx.node.world.changed();
  return 0;
};

function sbOf(node: LabNode, dev: string) {
  const lv = lvOf(node, dev);
  if (!lv) return undefined;
  const l = lvMeta(node, lv.vg, lv.lv).read();
  return l?.fs ? { lv, fs: l.fs } : undefined;
}

const gfs2Tool: CommandFn = (ctx) => {
  const [sub, dev, field, value] = ctx.argv.slice(1);
  if (sub !== 'sb' || !dev || !field) {
    ctx.err('Usage: gfs2_tool sb <device> proto|table|ondisk|multihost|uuid|all [newvalue]\n');
    return 1;
  }
  const hit = sbOf(ctx.node, dev);
  if (!hit) {
    ctx.err(`gfs2_tool: there isn't a GFS2 filesystem on ${dev}\n`);
    return 1;
  }
  const fs = hit.fs;
  if (field === 'uuid') ctx.out(`current uuid = ${fs.uuid}\n`);
  else if (field === 'proto') ctx.out('current lock protocol name = "lock_dlm"\n');
  else if (field === 'table') {
    if (value !== undefined) {
      ctx.out("You shouldn't change any of these values if the filesystem is mounted.\n\nAre you sure? [y/n] ");
      if (!/^y/i.test(ctx.stdin.trim())) {
        ctx.out('\n');
        return 1;
      }
      ctx.out(`\ncurrent lock table name = "${fs.lockTable}"\nnew lock table name = "${value}"\nDone\n`);
      lvMeta(ctx.node, hit.lv.vg, hit.lv.lv).write((l) => {
        if (l.fs) l.fs.lockTable = value;
      });
      return 0;
    }
    ctx.out(`current lock table name = "${fs.lockTable}"\n`);
  } else if (field === 'all')
    ctx.out(
      `  mh_magic = 0x01161970\n  mh_type = 1\n  sb_fs_format = 1801\n  sb_multihost_format = 1900\n  sb_bsize = 4096\n  sb_bsize_shift = 12\n  sb_lockproto = lock_dlm\n  sb_locktable = ${fs.lockTable}\n  uuid = ${fs.uuid}\n`,
    );
  else {
    ctx.err(`gfs2_tool: unknown field ${field}\n`);
    return 1;
  }
  return 0;
};

/** `realpath(3)` of a path on the node, or undefined when it does not resolve. */
function realPath(node: LabNode, path: string): string | undefined {
  try {
    const r = node.fs.realpath(normalize(path));
    return node.fs.stat(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Mount a GFS2 device on a node; returns an error text or null. mount(8) execs the helper
 * /sbin/mount.gfs2 for type gfs2 and exits with its status (util-linux-ng 2.17.2 mount.c
 * check_special_mountprog()); the helper's die() prints the bare message and exits 1 (gfs2-utils 3.0
 * gfs2/mount/util.h, no program prefix since 3ea04110): read_options() takes realpath(3) of the device
 * and of the mount point ("invalid device path", "invalid mount point path"), check_options() wants a
 * directory, and the later messages name those real paths (mount.gfs2.c main()).
 */
export function mountGfs2(
  node: LabNode,
  dev: string,
  mountpoint: string,
  opts: string[],
): { code: number; err: string } | null {
  const realDev = realPath(node, dev);
  if (!realDev) return { code: 1, err: `invalid device path "${dev}"\n` };
  const realMp = realPath(node, mountpoint);
  if (!realMp) return { code: 1, err: `invalid mount point path "${mountpoint}"\n` };
  if (node.fs.stat(realMp)?.type !== 'dir') return { code: 1, err: `mount point ${realMp} is not a directory\n` };
  const hit = sbOf(node, dev);
  // NOTE: the helper's get_sb() would print "there isn't a GFS2 filesystem on DEV, magic=%x type=%x"
  // with the device's first bytes, which the lab does not keep: mount(8)'s own message stands in.
  if (!hit) return { code: 32, err: `mount: you must specify the filesystem type\n` };
  const mp = realMp;
  const s = st(node);
  const ns = s.of(node);
  if (ns.mounts.some((m) => m.mountpoint === mp || m.uuid === hit.fs.uuid))
    return { code: 1, err: `${realDev} already mounted or ${realMp} busy\n` };
  const cv = clusterView(worldOf(node));
  const cluster = cv?.clusterName(node.name);
  if (!cluster || !cv?.isMember(node.name))
    return { code: 1, err: 'gfs_controld join connect error: Connection refused\nerror mounting lockproto lock_dlm\n' };
  const want = hit.fs.lockTable.split(':')[0];
  if (want !== cluster) {
    node.log('gfs_controld', `join: fs requires cluster="${want}" current="${cluster}"`);
    return { code: 1, err: 'fs is for a different cluster\nerror mounting lockproto lock_dlm\n' };
  }
  const world = worldOf(node);
  const used = new Set<number>();
  for (const n of Object.values(world.nodes))
    for (const m of s.of(n).mounts) if (m.uuid === hit.fs.uuid) used.add(m.jid);
  let jid = 0;
  while (used.has(jid)) jid++;
  if (jid >= hit.fs.journals) {
    node.log('kernel', `GFS2: fsid=${hit.fs.lockTable}: can't mount journal #${jid}`);
    return { code: 1, err: `error mounting ${realDev} on ${realMp}: Invalid argument\n` };
  }
  const noatime = opts.includes('noatime');
  const m: MountRt = {
    dev: `/dev/mapper/${mapperName(hit.lv.key)}`,
    mountpoint: mp,
    uuid: hit.fs.uuid,
    jid,
    opts: `rw,seclabel,${noatime ? 'noatime' : 'relatime'}${opts.includes('nodiratime') ? ',nodiratime' : ''},hostdata=jid=${jid}`,
  };
  ns.mounts.push(m);
  node.fs.mounts.set(mp, s.tree(hit.fs.uuid));
  node.log('kernel', `GFS2: fsid=${hit.fs.lockTable}.${jid}: Joined cluster. Now mounting FS...`);
  world.changed();
  return null;
}

function umountOne(node: LabNode, target: string): { code: number; err: string } | null {
  const ns = st(node).of(node);
  const p = normalize(target);
  let real = p;
  try {
    real = node.fs.realpath(p);
  } catch {
    /* keep */
  }
  const i = ns.mounts.findIndex(
    (m) =>
      m.mountpoint === p ||
      m.dev === p ||
      (lvOf(node, p) && m.dev === `/dev/mapper/${mapperName(lvOf(node, p)!.key)}`) ||
      m.dev === real,
  );
  if (i < 0) return { code: 1, err: `umount: ${target}: not mounted\n` };
  const m = ns.mounts[i];
  ns.mounts.splice(i, 1);
  node.fs.mounts.delete(m.mountpoint);
  worldOf(node).changed();
  return null;
}

const SEED_MOUNTS = (node: LabNode) => {
  const disk = Object.keys(node.disks)[0] ?? 'sda';
  return [
    `rootfs / rootfs rw 0 0`,
    `proc /proc proc rw,relatime 0 0`,
    `sysfs /sys sysfs rw,seclabel,relatime 0 0`,
    `/dev/${disk}2 / ext4 rw,seclabel,relatime,barrier=1,data=ordered 0 0`,
    `/dev/${disk}1 /boot ext4 rw,seclabel,relatime,barrier=1,data=ordered 0 0`,
  ];
};

/** GFS2 entries of /etc/fstab: [device spec, mount point, options]. */
function fstabGfs2(node: LabNode): { spec: string; mp: string; opts: string[] }[] {
  let text = '';
  try {
    text = node.fs.readText('/etc/fstab');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[2] === 'gfs2')
    .map((f) => ({ spec: f[0], mp: normalize(f[1]), opts: (f[3] ?? 'defaults').split(',') }));
}

/** The device of an fstab spec (UUID=... is looked up among the active LVs). */
function specDevice(node: LabNode, spec: string): string | undefined {
  const u = /^UUID=(.+)$/i.exec(spec)?.[1]?.toLowerCase();
  if (!u) return spec;
  for (const key of st(node).of(node).active) {
    if (!key) continue;
    const dev = `/dev/mapper/${mapperName(key)}`;
    if (sbOf(node, dev)?.fs.uuid === u) return dev;
  }
  return undefined;
}

const mount: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let type: string | undefined;
  let all = false;
  let opts: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-t') type = a[++i];
    else if (a[i] === '-o') opts = (a[++i] ?? '').split(',');
    else if (a[i] === '-a') all = true;
    else if (!a[i].startsWith('-')) rest.push(a[i]);
  }
  const node = ctx.node;
  if (!rest.length && !all) {
    // NOTE: mount(8) lists /etc/mtab (print_all()): for / and /boot the options mount(8) wrote itself
    // from fstab's "defaults" (fix_opts_string(): "rw"; util-linux-ng 2.17.2), never the kernel's
    // seclabel/relatime/barrier; for a GFS2 the line mount.gfs2 copied from /proc/mounts, seclabel
    // included (gfs2-utils mtab.c add_mtab_entry(), the named device since rhbz#632595).
    for (const line of [
      ...SEED_MOUNTS(node)
        .slice(3)
        .map((l) => l.replace(/ ext4 \S+ /, ' ext4 rw ')),
      ...st(node)
        .of(node)
        .mounts.map((m) => `${m.dev} ${m.mountpoint} gfs2 ${m.opts} 0 0`),
    ]) {
      const f = line.split(' ');
      ctx.out(`${f[0]} on ${f[1]} type ${f[2]} (${f[3]})\n`);
    }
    return 0;
  }
  const tab = fstabGfs2(node);
  const jobs: { dev: string; mp: string; opts: string[] }[] = [];
  if (all) {
    if (type && type !== 'gfs2') return 0;
    for (const e of tab)
      if (
        !st(node)
          .of(node)
          .mounts.some((m) => m.mountpoint === e.mp)
      )
        jobs.push({ dev: specDevice(node, e.spec) ?? e.spec, mp: e.mp, opts: e.opts });
  } else if (rest.length === 1) {
    const e = tab.find((x) => x.mp === normalize(rest[0]) || x.spec === rest[0]);
    if (!e) {
      // NOTE: the base system has no mount of its own: this one is the lab's only mount.
      ctx.err(`mount: can't find ${rest[0]} in /etc/fstab or /etc/mtab\n`);
      return 1;
    }
    jobs.push({ dev: specDevice(node, e.spec) ?? e.spec, mp: e.mp, opts: [...e.opts, ...opts] });
  } else {
    if (type && type !== 'gfs2') {
      ctx.err(`mount: unknown filesystem type '${type}'\n`);
      return 32;
    }
    jobs.push({ dev: rest[0], mp: rest[1], opts });
  }
  for (const j of jobs) {
    const r = mountGfs2(node, j.dev, j.mp, j.opts);
    if (r) {
      ctx.err(r.err);
      return r.code;
    }
  }
  return 0;
};

const umount: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const targets = a.filter((x) => !x.startsWith('-'));
  if (a.includes('-a') && a.includes('-t')) {
    for (const m of [...st(ctx.node).of(ctx.node).mounts]) umountOne(ctx.node, m.mountpoint);
    return 0;
  }
  let code = 0;
  for (const t of targets) {
    const r = umountOne(ctx.node, t);
    if (r) {
      ctx.err(r.err);
      code = r.code;
    }
  }
  return code;
};

const df: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const h = a.some((x) => /^-[a-zA-Z]*h/.test(x));
  const paths = a.filter((x) => !x.startsWith('-'));
  const node = ctx.node;
  const disk = Object.keys(node.disks)[0] ?? 'sda';
  type Row = { fs: string; size: number; used: number; mp: string };
  const rows: Row[] = [
    { fs: `/dev/${disk}2`, size: 42212 * 1024 ** 2, used: 1420 * 1024 ** 2, mp: '/' },
    { fs: `/dev/${disk}1`, size: 248 * 1024 ** 2, used: 32 * 1024 ** 2, mp: '/boot' },
  ];
  for (const m of st(node).of(node).mounts) {
    const sb = sbOf(node, m.dev)?.fs;
    const size = (sb?.blocks ?? 0) * BLOCK;
    rows.push({ fs: m.dev, size, used: (sb?.journals ?? 1) * 128 * 1024 ** 2 + 3 * 1024 ** 2, mp: m.mountpoint });
  }
  let pick = rows;
  if (paths.length) {
    pick = [];
    for (const p of paths) {
      const abs = normalize(p.startsWith('/') ? p : `${ctx.sh.cwd}/${p}`);
      if (!node.fs.exists(abs)) {
        ctx.err(`df: \`${p}': No such file or directory\n`);
        return 1;
      }
      const best = rows
        .filter((r) => abs === r.mp || abs.startsWith(r.mp === '/' ? '/' : r.mp + '/'))
        .sort((x, y) => y.mp.length - x.mp.length)[0];
      pick.push(best);
    }
  }
  const f = (n: number) => (h ? human(n) : String(Math.ceil(n / 1024)));
  ctx.out(
    `${'Filesystem'.padEnd(20)} ${(h ? 'Size' : '1024-blocks').padStart(h ? 5 : 11)} ${'Used'.padStart(5)} ${'Avail'.padStart(5)} ${(h ? 'Use%' : 'Capacity').padStart(4)} Mounted on\n`,
  );
  for (const r of pick)
    ctx.out(
      `${r.fs.padEnd(20)} ${f(r.size).padStart(h ? 5 : 11)} ${f(r.used).padStart(5)} ${f(r.size - r.used).padStart(5)} ${`${Math.ceil((r.used / Math.max(1, r.size)) * 100)}%`.padStart(4)} ${r.mp}\n`,
    );
  return 0;
};

// ---------- /etc/init.d/gfs2 ----------

function gfs2Start(node: LabNode): ActionResult {
  let out = '';
  let code = 0;
  for (const e of fstabGfs2(node)) {
    if (
      st(node)
        .of(node)
        .mounts.some((m) => m.mountpoint === e.mp)
    )
      continue;
    const dev = specDevice(node, e.spec);
    const r = dev
      ? mountGfs2(node, dev, e.mp, e.opts)
      : { code: 1, err: `mount: special device ${e.spec} does not exist\n` };
    out += statusLine(`Mounting GFS2 filesystem (${e.mp}): `, !r, r ? ` ${r.err.trim()}` : '');
    if (r) code = 1;
  }
  if (!code) node.markRunning('gfs2');
  return { code, out };
}

function gfs2Stop(node: LabNode): ActionResult {
  let out = '';
  let code = 0;
  for (const m of [...st(node).of(node).mounts]) {
    const r = umountOne(node, m.mountpoint);
    out += statusLine(`Unmounting GFS2 filesystem (${m.mountpoint}): `, !r);
    if (r) code = 1;
  }
  node.markStopped('gfs2');
  return { code, out };
}

function gfs2Status(node: LabNode): ActionResult {
  const conf = fstabGfs2(node).map((e) => e.mp);
  const act = st(node)
    .of(node)
    .mounts.map((m) => m.mountpoint);
  let out = '';
  if (conf.length) out += `Configured GFS2 mountpoints: \n${conf.join('\n')}\n`;
  if (act.length) out += `Active GFS2 mountpoints: \n${act.join('\n')}\n`;
  return { code: act.length ? 0 : 3, out };
}

// ---------- journal replay when a peer that had the file system mounted is fenced ----------

/** Per world: the journals of downed nodes waiting for replay, by survivor. */
const PENDING = new WeakMap<World, { survivor: string; victim: string; fsid: string; jid: number }[]>();

/** A node went down: the survivors' GFS2 mounts wait for its journals to be recovered. */
export const gfs2NodeDown = (s: Storage, victim: LabNode): void => {
  const world = s.world;
  for (const vm of s.of(victim).mounts) {
    for (const n of Object.values(world.nodes)) {
      if (n === victim || !n.running) continue;
      const mine = s.of(n).mounts.find((m) => m.uuid === vm.uuid);
      if (!mine) continue;
      const table = sbOf(n, mine.dev)?.fs.lockTable ?? '?';
      const fsid = `${table}.${mine.jid}`;
      n.log('kernel', `GFS2: fsid=${fsid}: jid=${vm.jid}: Trying to acquire journal lock...`);
      const list = PENDING.get(world) ?? [];
      list.push({ survivor: n.name, victim: victim.name, fsid, jid: vm.jid });
      PENDING.set(world, list);
    }
  }
};

/** A victim was fenced: the survivor replays its GFS2 journals. */
export const gfs2Fenced = (world: World, survivor: LabNode, victim: LabNode): void => {
  const list = PENDING.get(world) ?? [];
  for (const p of list.filter((x) => x.survivor === survivor.name && x.victim === victim.name)) {
    survivor.log('kernel', `GFS2: fsid=${p.fsid}: jid=${p.jid}: Looking at journal...`);
    survivor.log('kernel', `GFS2: fsid=${p.fsid}: jid=${p.jid}: Done`);
  }
  PENDING.set(
    world,
    list.filter((x) => !(x.survivor === survivor.name && x.victim === victim.name)),
  );
};

/** The programs of this module, by implementation name. */
export const GFS2_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  'mkfs.gfs2': mkfs,
  gfs2_tool: gfs2Tool,
  mount,
  umount,
  df,
  ['mount.gfs2']: (ctx: CmdCtx) => mount({ ...ctx, argv: ['mount', '-t', 'gfs2', ...ctx.argv.slice(1)] }),
};

/** The init scripts of this module. */
export const GFS2_SERVICES: readonly ServiceDef[] = [
  {
    name: 'gfs2',
    header: { levels: '', start: 26, stop: 74 },
    description: 'mount/unmount gfs2 filesystems configured in /etc/fstab',
    usage: 'start|stop|status|restart|reload|force-reload|condrestart|try-restart',
    start: (node) => gfs2Start(node),
    stop: (node) => gfs2Stop(node),
    status: (node) => gfs2Status(node),
  },
];

/** The /proc files this module generates, by path. */
export const GFS2_PROC_FILES: Readonly<Record<string, ProcFileFn>> = {
  ['/proc/mounts']: (node) =>
    [
      ...SEED_MOUNTS(node),
      ...st(node)
        .of(node)
        .mounts.map((m) => `${m.dev} ${m.mountpoint} gfs2 ${m.opts} 0 0`),
    ].join('\n') + '\n',
};
