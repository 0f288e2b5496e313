/**
 * ssh, scp and ssh-keyscan between lab nodes (no terminal: host keys are never confirmed
 * interactively, passwords are never asked; see ssh-connect.ts).
 */
import type { CommandFn } from '../node/command.js';
import { sshConnect, addOption, hostKeyBlob, type SshOptions } from './ssh-connect.js';
import { resolveOn } from './hosts.js';
import { route } from '../node/route.js';
import { publicLine } from '../node/keys.js';
import { errText } from '../fs/memfs.js';
import { basename } from '../fs/path.js';

const WITH_ARG = new Set(['b', 'c', 'D', 'e', 'F', 'i', 'L', 'l', 'm', 'O', 'o', 'p', 'R', 'S', 'W', 'w']);

/** Parse ssh's command line: options, destination, remote command words. */
function parseSsh(argv: string[]): { o: SshOptions; dest?: string; cmd: string[]; flags: Set<string> } {
  const o: SshOptions = { identities: [], opts: {} };
  const flags = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (WITH_ARG.has(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : (argv[++i] ?? '');
        if (c === 'o') addOption(o.opts, v);
        else if (c === 'i') o.identities.push(v);
        else if (c === 'p') o.port = Number(v);
        else if (c === 'l') o.user = v;
        break;
      }
      flags.add(c);
    }
  }
  const dest = argv[i];
  return { o, dest, cmd: argv.slice(i + 1), flags };
}

const ssh: CommandFn = async (ctx) => {
  const { o, dest, cmd, flags } = parseSsh(ctx.argv.slice(1));
  if (!dest) {
    ctx.err(
      'usage: ssh [-1246AaCfgKkMNnqsTtVvXxYy] [-b bind_address] [-c cipher_spec]\n           [-D [bind_address:]port] [-e escape_char] [-F configfile]\n           [-i identity_file] [-L [bind_address:]port:host:hostport]\n           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]\n           [-R [bind_address:]port:host:hostport] [-S ctl_path]\n           [-W host:port] [-w local_tun[:remote_tun]]\n           [user@]hostname [command]\n',
    );
    return 255;
  }
  if (flags.has('q')) o.opts.loglevel ??= 'quiet';
  const conn = sshConnect(ctx, dest, o);
  if (!conn) return 255;
  const stdin = flags.has('n') ? '' : ctx.stdin;
  let script = cmd.join(' ');
  if (!cmd.length) {
    if (!flags.has('T') && !flags.has('q'))
      ctx.err('Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n');
    script = stdin;
  } else if (flags.has('t') && !flags.has('q'))
    ctx.err('Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n');
  let r;
  try {
    r = await conn.node.exec(script, { stdin: cmd.length ? stdin : '' });
  } catch {
    ctx.err(`Connection to ${conn.host} closed by remote host.\r\n`);
    return 255;
  }
  ctx.out(r.stdout);
  ctx.err(r.stderr);
  if (!conn.node.running) {
    ctx.err(`Connection to ${conn.host} closed by remote host.\r\n`);
    return 255;
  }
  return r.code;
};

/** A `[user@]host:path` operand of scp/rsync, or null for a local path. */
export function remoteSpec(s: string): { target: string; path: string } | null {
  const m = /^([^/:]+):(.*)$/.exec(s);
  return m ? { target: m[1], path: m[2] } : null;
}

const scp: CommandFn = async (ctx) => {
  const args = ctx.argv.slice(1);
  const o: SshOptions = { identities: [], opts: {} };
  const ops: string[] = [];
  let rec = false;
  let preserve = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-o') addOption(o.opts, args[++i] ?? '');
    else if (a === '-i') o.identities.push(args[++i] ?? '');
    else if (a === '-P') o.port = Number(args[++i]);
    else if (a.startsWith('-')) {
      if (a.includes('r')) rec = true;
      if (a.includes('p')) preserve = true;
      if (a.includes('B')) o.opts.batchmode = 'yes';
    } else ops.push(a);
  }
  if (ops.length < 2) {
    ctx.err(
      'usage: scp [-1246BCpqrv] [-c cipher] [-F ssh_config] [-i identity_file]\n           [-l limit] [-o ssh_option] [-P port] [-S program]\n           [[user@]host1:]file1 ... [[user@]host2:]file2\n',
    );
    return 1;
  }
  const dst = ops.pop()!;
  const dRemote = remoteSpec(dst);
  const dConn = dRemote ? sshConnect(ctx, dRemote.target, o) : null;
  if (dRemote && !dConn) return 1;
  const dNode = dConn?.node ?? ctx.node;
  const dPath = dRemote
    ? dRemote.path.startsWith('/')
      ? dRemote.path
      : `/root/${dRemote.path || '.'}`
    : ctx.sh.resolve(dst);
  let code = 0;
  for (const s of ops) {
    const sRemote = remoteSpec(s);
    const sConn = sRemote ? sshConnect(ctx, sRemote.target, o) : null;
    if (sRemote && !sConn) return 1;
    const sNode = sConn?.node ?? ctx.node;
    const sPath = sRemote ? (sRemote.path.startsWith('/') ? sRemote.path : `/root/${sRemote.path}`) : ctx.sh.resolve(s);
    const st = sNode.fs.stat(sPath);
    if (!st) {
      ctx.err(`scp: ${sRemote ? sRemote.path : s}: No such file or directory\n`);
      code = 1;
      continue;
    }
    const copy = (from: string, to: string) => {
      const fst = sNode.fs.stat(from)!;
      if (fst.type === 'dir') {
        if (!dNode.fs.stat(to)) dNode.fs.mkdir(to, fst.mode);
        for (const n of sNode.fs.readdir(from)) copy(`${from}/${n}`, `${to}/${n}`);
        return;
      }
      dNode.fs.writeFile(to, sNode.fs.readFile(from), dNode.fs.stat(to) ? undefined : fst.mode);
      if (preserve) dNode.fs.utimes(to, fst.mtimeMs);
    };
    if (st.type === 'dir' && !rec) {
      ctx.err(`scp: ${s}: not a regular file\n`);
      code = 1;
      continue;
    }
    const to = dNode.fs.stat(dPath)?.type === 'dir' ? `${dPath.replace(/\/$/, '')}/${basename(sPath)}` : dPath;
    try {
      copy(sPath, to);
    } catch (e) {
      ctx.err(`scp: ${dst}: ${errText(e)}\n`);
      code = 1;
    }
  }
  ctx.node.world.changed();
  return code;
};

const keyscan: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const hosts: string[] = [];
  let hash = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-t' || a[i] === '-T' || a[i] === '-p' || a[i] === '-f') i++;
    else if (a[i] === '-H') hash = true;
    else if (!a[i].startsWith('-')) hosts.push(...a[i].split(','));
  }
  void hash;
  for (const h of hosts) {
    const e = resolveOn(ctx.node, h);
    if (!e) {
      ctx.err(`getaddrinfo ${h}: Name or service not known\n`);
      continue;
    }
    const r = route(ctx.node, e.ip, ctx.node.world.nodes());
    if ('error' in r || !r.node.isRunning('sshd')) continue;
    const blob = hostKeyBlob(r.node);
    if (!blob) continue;
    ctx.err(`# ${h} SSH-2.0-OpenSSH_5.3\n`);
    ctx.out(`${h} ${publicLine(blob, '')}\n`);
  }
  return 0;
};

/** ssh client commands. */
export const SSH_COMMANDS: Record<string, CommandFn> = { ssh, scp, 'ssh-keyscan': keyscan };
