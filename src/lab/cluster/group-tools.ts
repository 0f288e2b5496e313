/**
 * The cluster 3 daemons' query tools as an operator reaches for them (tutorial 1739: "you can use
 * dlm_tool ls to list lock spaces"): `fence_tool ls`, `dlm_tool ls`, `gfs_control ls`, `group_tool
 * [ls]` and `cman_tool services` (which runs `group_tool ls`).
 *
 * Source: cluster 3.0.12 (redhat-cluster 3.0.12 as packaged by Debian, ystk/debian-redhat-cluster):
 * fence/fence_tool/fence_tool.c do_list(); dlm/tool/main.c do_list(), show_ls(), dlmc_lf_str();
 * group/gfs_control/main.c do_list(), show_mg(); group/tool/main.c main() OP_LIST (compat mode 0: it runs
 * `fence_tool ls`, `dlm_tool ls`, `gfs_control ls`); cman/cman_tool/main.c show_services()
 * (`system("group_tool ls")`). The lockspace and mount group ids are dlm_controld's and gfs_controld's
 * cpgname_to_crc(): the CRC-32 of the CPG name `dlm:ls:<name>` / `gfs:mount:<name>` with its NUL.
 *
 * What the lab knows: the lockspaces are rgmanager's and clvmd's (while those daemons run) and one per
 * mounted GFS2 (named after its lock table's file-system name, with fs_reg); members are the cluster
 * members that hold the same lockspace. Known deviation: the lab keeps no history of membership
 * changes, so `change member N joined J remove 0 failed 0 seq S,S` shows the current member count,
 * J = N and S = N (what a clean start of both nodes gives); a lockspace in recovery (`new change`) is
 * never shown.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { clusterOf, type Rt } from './model.js';
import { worldOf } from '../world/world.js';

/** CRC-32 (IEEE, reflected, as dlm_controld's crc_32_tab) of a string with its terminating NUL. */
export function cpgCrc(name: string): number {
  let h = 0xffffffff;
  for (const b of [...Buffer.from(name, 'utf8'), 0]) {
    h ^= b;
    for (let k = 0; k < 8; k++) h = h & 1 ? (h >>> 1) ^ 0xedb88320 : h >>> 1;
  }
  return (~h >>> 0) >>> 0;
}

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** GFS2 file systems mounted on a node: lock table fs name (from `gfs2_tool sb DEV table`). */
async function gfs2Mounts(node: LabNode): Promise<string[]> {
  let text = '';
  try {
    text = node.fs.readText('/proc/mounts');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[2] !== 'gfs2') continue;
    const r = await node.exec(`gfs2_tool sb ${f[0]} table`);
    const m = /table = "?[^:"\s]*:([^"\s]+)"?/.exec(r.stdout);
    if (m) out.push(m[1]);
  }
  return out;
}

/** Lockspaces a node holds (names) and its GFS2 mount groups. */
async function held(node: LabNode): Promise<{ ls: { name: string; flags: number }[]; mg: string[] }> {
  if (!node.running) return { ls: [], mg: [] };
  const mg = await gfs2Mounts(node);
  const ls = [
    ...(node.isRunning('rgmanager') ? [{ name: 'rgmanager', flags: 0 }] : []),
    ...(node.isRunning('clvmd') ? [{ name: 'clvmd', flags: 0 }] : []),
    // NOTE: a GFS2 mount registers its lockspace with dlm_controld (DLMC_LF_FS_REGISTERED 0x8, "fs_reg").
    ...mg.map((name) => ({ name, flags: 0x8 })),
  ];
  return { ls, mg };
}

/** The local cman runtime and the nodeids (sorted) of the members that hold what `has` asks. */
async function membersWith(
  ctx: CmdCtx,
  r: Rt,
  has: (h: { ls: { name: string }[]; mg: string[] }) => boolean,
): Promise<number[]> {
  const c = clusterOf(worldOf(ctx.node));
  const ids: number[] = [];
  for (const m of r.members) {
    const cn = r.cc.nodes.find((x) => x.name === m);
    const lab = Object.values(worldOf(ctx.node).nodes).find((n) => n.fqdn === m || n.name === m.split('.')[0]);
    if (!cn || !lab || !c.rt[lab.name]) continue;
    if (has(await held(lab))) ids.push(cn.nodeid);
  }
  return ids.sort((a, b) => a - b);
}

function runtime(ctx: CmdCtx): Rt | undefined {
  return clusterOf(worldOf(ctx.node)).rt[ctx.node.name];
}

/** `fence_tool ls`: the fence domain as fenced reports it (exit 1 when fenced does not run). */
async function fenceLs(ctx: CmdCtx): Promise<number> {
  const r = runtime(ctx);
  if (!r) return 1;
  const ids = r.members.map((m) => r.cc.nodes.find((x) => x.name === m)?.nodeid ?? 0).sort((a, b) => a - b);
  const victims = [...(r.fencing ? [r.fencing.victim] : []), ...r.queue];
  const victimNow = r.fencing ? (r.cc.nodes.find((x) => x.name === r.fencing!.victim)?.nodeid ?? 0) : 0;
  // NOTE: fenced's master is the lowest member nodeid; "wait state" is fencing while a victim is pending.
  ctx.out(
    'fence domain\n' +
      `member count  ${ids.length}\n` +
      `victim count  ${victims.length}\n` +
      `victim now    ${victimNow}\n` +
      `master nodeid ${ids[0] ?? 0}\n` +
      `wait state    ${victims.length ? 'fencing' : 'none'}\n` +
      `members       ${ids.map((i) => `${i} `).join('')}\n\n`,
  );
  return 0;
}

function change(n: number): string {
  return `change        member ${n} joined ${n} remove 0 failed 0 seq ${n},${n}\n`;
}

/** `dlm_tool ls`: one block per lockspace (nothing when there is none; exit 1 without dlm_controld). */
async function dlmLs(ctx: CmdCtx): Promise<number> {
  const r = runtime(ctx);
  if (!r) return 1;
  const mine = await held(ctx.node);
  if (mine.ls.length) ctx.out('dlm lockspaces\n');
  for (const ls of mine.ls) {
    const ids = await membersWith(ctx, r, (h) => h.ls.some((x) => x.name === ls.name));
    ctx.out(
      `name          ${ls.name}\n` +
        `id            ${hex8(cpgCrc(`dlm:ls:${ls.name}`))}\n` +
        `flags         ${hex8(ls.flags)} ${ls.flags & 0x8 ? 'fs_reg' : ''}\n` +
        change(ids.length) +
        `members       ${ids.map((i) => `${i} `).join('')}\n\n`,
    );
  }
  return 0;
}

/** `gfs_control ls`: one block per GFS2 mount group (flags: kernel mount done, 0x8). */
async function gfsLs(ctx: CmdCtx): Promise<number> {
  const r = runtime(ctx);
  if (!r) return 1;
  const mine = await held(ctx.node);
  if (mine.mg.length) ctx.out('gfs mountgroups\n');
  for (const mg of mine.mg) {
    const ids = await membersWith(ctx, r, (h) => h.mg.includes(mg));
    ctx.out(
      `name          ${mg}\n` +
        `id            ${hex8(cpgCrc(`gfs:mount:${mg}`))}\n` +
        `flags         ${hex8(0x8)} mounted\n` +
        change(ids.length) +
        `members       ${ids.map((i) => `${i} `).join('')}\n\n`,
    );
  }
  return 0;
}

const usage = (ctx: CmdCtx, text: string): number => {
  ctx.out(text);
  return 1;
};

const fenceTool: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1).filter((x) => x !== '-n');
  if (a[0] === 'ls') return fenceLs(ctx);
  if (a[0] === undefined) return usage(ctx, 'Usage:\n\nfence_tool <ls|join|leave|dump> [options]\n\n');
  ctx.err(`fence_tool: ${a[0]} is not simulated by the lab\n`);
  return 1;
};

const dlmTool: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1).filter((x) => x !== '-n');
  if (a[0] === 'ls' && a.length === 1) return dlmLs(ctx);
  ctx.err(`dlm_tool: ${a.join(' ') || '(no command)'} is not simulated by the lab (only \`dlm_tool ls\`)\n`);
  return 1;
};

const gfsControl: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1).filter((x) => x !== '-n');
  if (a[0] === 'ls' && a.length === 1) return gfsLs(ctx);
  ctx.err(`gfs_control: ${a.join(' ') || '(no command)'} is not simulated by the lab (only \`gfs_control ls\`)\n`);
  return 1;
};

/** `group_tool [ls]`: compat mode 0 runs the three daemons' `ls` in turn (their exit codes are ignored). */
export async function groupLs(ctx: CmdCtx): Promise<number> {
  await fenceLs(ctx);
  await dlmLs(ctx);
  await gfsLs(ctx);
  return 0;
}

const groupTool: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1).filter((x) => x !== '-n');
  if (!a.length || (a[0] === 'ls' && a.length === 1)) return groupLs(ctx);
  ctx.err(`group_tool: ${a.join(' ')} is not simulated by the lab (only \`group_tool ls\`)\n`);
  return 1;
};

/** The programs of this module, by implementation name. */
export const GROUP_TOOLS_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  fence_tool: fenceTool,
  dlm_tool: dlmTool,
  gfs_control: gfsControl,
  group_tool: groupTool,
};
