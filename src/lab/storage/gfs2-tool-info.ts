/**
 * `gfs2_tool journals <mountpoint>` and `gfs2_tool df [<mountpoint>]` (gfs2-utils 3.0.12), added in
 * front of the lab's `gfs2_tool sb` (gfs2.ts); every other form goes on to it.
 *
 * Sources (gfs2-utils 3.0, facts and formats only):
 * - gfs2/tool/misc.c print_journals(): one "%s - %lluMB\n" line per entry of the meta file system's
 *   jindex directory in readdir() order, then "%d journal(s) found.\n". The order is the directory's
 *   hash order; the Red Hat "Global File System 2" guide for RHEL 6 (section "Adding Journals to a File
 *   System") shows the highest journal first, which the lab follows. The journal size is mkfs.gfs2's
 *   default 128 MB (GFS2_DEFAULT_JSIZE; the tutorial's mkfs.gfs2 line 2756 does not set -J).
 * - gfs2/tool/df.c do_df_one() and print_df(): the header block ("SB lock proto", "SB lock table",
 *   "SB ondisk format" 1801, "SB multihost format" 1900 (gfs2_ondisk.h GFS2_FORMAT_FS/MULTI), "Block
 *   size", "Journals", "Resource Groups", the mounted args, "Journal number", "Lock module flags = %x",
 *   "Local flocks", "Local caching"), a blank line, "  %-15s%-15s%-15s%-15s%-15s" column titles, a rule
 *   of 72 dashes, the data and inode rows with "%u%%" rounded (+ 0.5); without a mount point every
 *   gfs2 line of /proc/mounts in turn, separated by a blank line.
 * - The host data gfs_controld hands the kernel (cluster 3.0.12 group/gfs_controld): "jid=%d:id=%u:first=%d",
 *   id = cpgname_to_crc() of "gfs:mount:<fs name>" (as `gfs_control ls` prints it).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { st, type MountRt, type Gfs2Sb } from './state.js';
import { GFS2_PROGRAMS } from './gfs2.js';
import { lvOf, lvMeta } from './lvm.js';
import { normalize } from '../fs/path.js';

const BLOCK = 4096;
/** mkfs.gfs2's default journal size (GFS2_DEFAULT_JSIZE), in blocks. */
const JOURNAL_BLOCKS = (128 * 1024 * 1024) / BLOCK;

/** CRC-32 (IEEE, as zlib and cluster 3.0.12 `crc.c`) of `s` followed by its NUL. */
function cpgCrc(s: string): number {
  let c = 0xffffffff;
  for (const b of [...Buffer.from(s, 'latin1'), 0]) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** The GFS2 mount at `path` on this node (the mount point itself, as gfs2_tool's check_for_gfs2() wants). */
function mountAt(ctx: CmdCtx, path: string): { m: MountRt; sb: Gfs2Sb } | { err: string } {
  const abs = normalize(path.startsWith('/') ? path : `${ctx.sh.cwd}/${path}`);
  const m = st(ctx.node)
    .of(ctx.node)
    .mounts.find((x) => x.mountpoint === abs);
  if (!m) {
    if (!ctx.node.fs.exists(abs))
      return { err: `gfs2_tool: can't open root directory ${path}: No such file or directory\n` };
    return { err: `gfs2_tool: ${path} is not a GFS2 file system\n` };
  }
  const lv = lvOf(ctx.node, m.dev);
  const sb = lv ? lvMeta(ctx.node, lv.vg, lv.lv).read()?.fs : undefined;
  if (!sb) return { err: `gfs2_tool: ${path} is not a GFS2 file system\n` };
  return { m, sb };
}

function journals(ctx: CmdCtx, path: string | undefined): number {
  if (!path) {
    ctx.err('Usage: gfs2_tool journals <mountpoint>\n');
    return 1;
  }
  const hit = mountAt(ctx, path);
  if ('err' in hit) {
    ctx.err(hit.err);
    return 1;
  }
  for (let j = hit.sb.journals - 1; j >= 0; j--) ctx.out(`journal${j} - 128MB\n`);
  ctx.out(`${hit.sb.journals} journal(s) found.\n`);
  return 0;
}

function dfOne(ctx: CmdCtx, m: MountRt, sb: Gfs2Sb): void {
  const rgrps = Math.ceil((sb.blocks * BLOCK) / (256 * 1024 * 1024));
  const fsName = sb.lockTable.split(':')[1] ?? sb.lockTable;
  // NOTE: the lab keeps no GFS2 allocation: "used" is the journals plus 3 MB of system files (as the
  // lab's `df` counts it) plus one block per file of the shared tree; inodes are the tree's entries.
  const tree = st(ctx.node).trees.get(sb.uuid);
  let files = 0;
  const walk = (p: string) => {
    for (const e of tree?.readdir(p) ?? []) {
      files++;
      const c = p === '/' ? `/${e}` : `${p}/${e}`;
      if (tree?.lstat(c)?.type === 'dir') walk(c);
    }
  };
  if (tree) walk('/');
  const total = sb.blocks - 3;
  const used = Math.min(total, sb.journals * JOURNAL_BLOCKS + 768 + files);
  const free = total - used;
  const dinodes = files + 1;
  const pct = (a: number, b: number) => (b ? Math.floor((100 * a) / b + 0.5) : 0);
  const row = (t: string, a: number, b: number, c: number, p: number) =>
    `  ${t.padEnd(15)}${String(a).padEnd(15)}${String(b).padEnd(15)}${String(c).padEnd(15)}${p}%\n`;
  ctx.out(
    `${m.mountpoint}:\n` +
      `  SB lock proto = "lock_dlm"\n` +
      `  SB lock table = "${sb.lockTable}"\n` +
      `  SB ondisk format = 1801\n` +
      `  SB multihost format = 1900\n` +
      `  Block size = ${BLOCK}\n` +
      `  Journals = ${sb.journals}\n` +
      `  Resource Groups = ${rgrps}\n` +
      `  Mounted lock proto = "lock_dlm"\n` +
      `  Mounted lock table = "${sb.lockTable}"\n` +
      `  Mounted host data = "jid=${m.jid}:id=${cpgCrc(`gfs:mount:${fsName}`)}:first=${m.jid === 0 ? 1 : 0}"\n` +
      `  Journal number = ${m.jid}\n` +
      `  Lock module flags = 0\n` +
      `  Local flocks = FALSE\n` +
      `  Local caching = FALSE\n` +
      `\n` +
      `  ${'Type'.padEnd(15)}${'Total'.padEnd(15)}${'Used'.padEnd(15)}${'Free'.padEnd(15)}${'use%'.padEnd(15)}\n` +
      `  ${'-'.repeat(72)}\n` +
      row('data', total, used, free, pct(used, total)) +
      row('inodes', dinodes + free, dinodes, free, pct(dinodes, dinodes + free)),
  );
}

function df(ctx: CmdCtx, path: string | undefined): number {
  if (path) {
    const hit = mountAt(ctx, path);
    if ('err' in hit) {
      ctx.err(hit.err);
      return 1;
    }
    dfOne(ctx, hit.m, hit.sb);
    return 0;
  }
  let first = true;
  for (const m of st(ctx.node).of(ctx.node).mounts) {
    const hit = mountAt(ctx, m.mountpoint);
    if ('err' in hit) continue;
    if (!first) ctx.out('\n');
    first = false;
    dfOne(ctx, hit.m, hit.sb);
  }
  return 0;
}

const base = GFS2_PROGRAMS.gfs2_tool;
export const gfs2ToolInfo: CommandFn = (ctx) => {
  const [sub, arg] = ctx.argv.slice(1);
  if (sub === 'journals') return journals(ctx, arg);
  if (sub === 'df') return df(ctx, arg);
  return base ? base(ctx) : 127;
};

/** The programs of this file, given to the storage subsystem. */
export const GFS2_TOOL_INFO_PROGRAMS: Record<string, CommandFn> = { gfs2_tool: gfs2ToolInfo };
