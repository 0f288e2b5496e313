/**
 * rsync 3.0.6: local copies and `[user@]host:path` over the lab's ssh, with -a/-r/-v/-t/-p,
 * --ignore-existing, -u, -n, --delete, and the tutorial's output (file list, sent/received totals).
 */
import type { CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { sshConnect, addOption, type SshOptions } from './ssh-connect.js';
import { remoteSpec } from './ssh.js';
import { basename, dirname } from '../fs/path.js';
import { errText } from '../fs/memfs.js';

interface Entry {
  rel: string;
  abs: string;
  dir: boolean;
  link?: string;
  size: number;
  mtime: number;
  mode: number;
}

function collect(node: LabNode, abs: string, rel: string, rec: boolean, out: Entry[]): void {
  const st = node.fs.lstat(abs)!;
  if (st.type === 'link') {
    out.push({ rel, abs, dir: false, link: node.fs.readlink(abs), size: st.size, mtime: st.mtimeMs, mode: st.mode });
    return;
  }
  if (st.type === 'dir') {
    out.push({ rel: rel ? rel + '/' : './', abs, dir: true, size: 0, mtime: st.mtimeMs, mode: st.mode });
    if (rec)
      for (const n of node.fs.readdir(abs))
        collect(node, `${abs === '/' ? '' : abs}/${n}`, rel ? `${rel}/${n}` : n, rec, out);
    return;
  }
  out.push({ rel, abs, dir: false, size: st.size, mtime: st.mtimeMs, mode: st.mode });
}

const rsync: CommandFn = async (ctx) => {
  const argv = ctx.argv.slice(1);
  const flags = new Set<string>();
  const ops: string[] = [];
  const ssh: SshOptions = { identities: [], opts: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-e' || a === '--rsh') parseRsh(argv[++i] ?? '', ssh);
    else if (a.startsWith('--rsh=')) parseRsh(a.slice(6), ssh);
    else if (a.startsWith('--exclude') || a.startsWith('--include')) {
      if (!a.includes('=')) i++;
    } else if (a.startsWith('--')) flags.add(a.slice(2));
    else if (a.startsWith('-') && a.length > 1) for (const c of a.slice(1)) flags.add(c);
    else ops.push(a);
  }
  const archive = flags.has('a') || flags.has('archive');
  const rec = archive || flags.has('r') || flags.has('recursive');
  const times = archive || flags.has('t') || flags.has('times');
  const perms = archive || flags.has('p') || flags.has('perms');
  const verbose = flags.has('v') || flags.has('verbose');
  const dry = flags.has('n') || flags.has('dry-run');
  if (ops.length < 2) {
    ctx.err(ops.length ? 'rsync: no destination given\n' : 'rsync  version 3.0.6  protocol version 30\n');
    return 1;
  }
  const dst = ops.pop()!;
  const fail = () => {
    ctx.err(
      'rsync: connection unexpectedly closed (0 bytes received so far) [sender]\nrsync error: unexplained error (code 255) at io.c(600) [sender=3.0.6]\n',
    );
    return 255;
  };
  const dRemote = remoteSpec(dst);
  let dNode: LabNode = ctx.node;
  let dPath = ctx.sh.resolve(dst);
  if (dRemote) {
    const c = sshConnect(ctx, dRemote.target, ssh);
    if (!c) return fail();
    dNode = c.node;
    dPath = dRemote.path.startsWith('/') ? dRemote.path : `/root/${dRemote.path}`;
  }
  const entries: Entry[] = [];
  let receiving = false;
  let code = 0;
  for (const s of ops) {
    const sRemote = remoteSpec(s);
    let sNode: LabNode = ctx.node;
    let sPath: string;
    if (sRemote) {
      const c = sshConnect(ctx, sRemote.target, ssh);
      if (!c) return fail();
      sNode = c.node;
      receiving = true;
      sPath = sRemote.path.startsWith('/') ? sRemote.path : `/root/${sRemote.path}`;
    } else sPath = ctx.sh.resolve(s);
    const st = sNode.fs.lstat(sPath);
    if (!st) {
      ctx.err(`rsync: ${sRemote ? 'link_stat' : 'link_stat'} "${sPath}" failed: No such file or directory (2)\n`);
      code = 23;
      continue;
    }
    const list: Entry[] = [];
    if (st.type === 'dir') {
      if (!rec) {
        if (verbose) ctx.out(`skipping directory ${s.endsWith('/') ? '.' : basename(sPath)}\n`);
        continue;
      }
      collect(sNode, sPath, s.endsWith('/') ? '' : basename(sPath), true, list);
    } else collect(sNode, sPath, basename(sPath), false, list);
    for (const e of list) entries.push(Object.assign(e, { node: sNode }));
  }
  const total = entries.reduce((a, e) => a + (e.dir ? 0 : e.size), 0);
  const single =
    ops.length === 1 &&
    entries.length === 1 &&
    !entries[0].dir &&
    !dst.endsWith('/') &&
    dNode.fs.stat(dPath)?.type !== 'dir';
  const transferred: Entry[] = [];
  let listing = '';
  if (!single && !dNode.fs.stat(dPath)) {
    if (!dry) {
      try {
        dNode.fs.mkdir(dPath, 0o755);
      } catch (e) {
        ctx.err(
          `rsync: mkdir "${dPath}" failed: ${errText(e)} (2)\nrsync error: error in file IO (code 11) at main.c(576) [Receiver=3.0.6]\n`,
        );
        return 11;
      }
    }
    if (verbose) listing += `created directory ${dst.replace(/^[^/:]+:/, '')}\n`;
  }
  for (const e of entries) {
    const src = (e as Entry & { node: LabNode }).node;
    const target = single
      ? dPath
      : `${dPath.replace(/\/$/, '')}/${e.rel.replace(/\/$/, '').replace(/^\.$/, '')}`.replace(/\/$/, '') || '/';
    const cur = dNode.fs.lstat(target);
    if (e.dir) {
      if (!cur) {
        if (!dry) dNode.fs.mkdir(target, e.mode);
        listing += e.rel + '\n';
      } else if (e.rel === './' && !times) listing += e.rel + '\n';
      continue;
    }
    if (cur && (flags.has('ignore-existing') || (flags.has('u') && cur.mtimeMs > e.mtime))) continue;
    if (
      cur &&
      cur.type !== 'dir' &&
      cur.size === e.size &&
      Math.floor(cur.mtimeMs / 1000) === Math.floor(e.mtime / 1000) &&
      !flags.has('c')
    )
      continue;
    transferred.push(e);
    listing += e.rel + (e.link ? ` -> ${e.link}` : '') + '\n';
    if (dry) continue;
    try {
      if (!dNode.fs.stat(dirname(target))) dNode.fs.mkdirp(dirname(target));
      if (e.link) {
        if (cur) dNode.fs.unlink(target);
        dNode.fs.symlink(e.link, target);
        continue;
      }
      dNode.fs.writeFile(target, src.fs.readFile(e.abs), cur ? undefined : perms ? e.mode : e.mode & ~0o022);
      if (perms) dNode.fs.chmod(target, e.mode);
      if (times) dNode.fs.utimes(target, e.mtime);
    } catch (err) {
      ctx.err(`rsync: open "${target}" failed: ${errText(err)} (2)\n`);
      code = 23;
    }
  }
  const bytes = transferred.reduce((a, e) => a + e.size, 0);
  const n = transferred.length;
  const names = transferred.reduce((a, e) => a + e.rel.length, 0);
  const data = n ? bytes + 44 * n + names + 24 : 11 + 8 * Math.max(0, entries.length - 1);
  const acks = n ? 31 + 19 * (n - 1) : 41;
  const [sent, received] = receiving ? [acks === 41 ? 11 : acks, n ? data : 41] : [data, n ? acks : 12];
  if (verbose) {
    ctx.out(`${receiving ? 'receiving' : 'sending'} incremental file list\n${listing}`);
    ctx.out(`sent ${sent} bytes  received ${received} bytes  ${((sent + received) / 0.5).toFixed(2)} bytes/sec\n`);
    ctx.out(`total size is ${total}  speedup is ${(total / (sent + received)).toFixed(2)}${dry ? ' (DRY RUN)' : ''}\n`);
  }
  if (code)
    ctx.err(
      `rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1039) [sender=3.0.6]\n`,
    );
  ctx.node.world.changed();
  return code;
};

/** `-e "ssh -o X=Y -i key -p N"`: pick the options our ssh honours. */
function parseRsh(spec: string, o: SshOptions): void {
  const w = spec.split(/\s+/).filter(Boolean);
  for (let i = 1; i < w.length; i++) {
    if (w[i] === '-o') addOption(o.opts, w[++i] ?? '');
    else if (w[i].startsWith('-o')) addOption(o.opts, w[i].slice(2));
    else if (w[i] === '-i') o.identities.push(w[++i] ?? '');
    else if (w[i] === '-p') o.port = Number(w[++i]);
    else if (w[i] === '-l') o.user = w[++i];
  }
}

/** rsync. */
export const RSYNC_COMMANDS: Record<string, CommandFn> = { rsync };
