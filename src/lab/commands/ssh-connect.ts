/**
 * What OpenSSH 5.3's client does before running anything on the peer: resolve the name through
 * /etc/hosts, reach the address over the lab network, check the host key against known_hosts
 * (StrictHostKeyChecking, CheckHostIP), and authenticate root with ~/.ssh/id_rsa against the peer's
 * authorized_keys (StrictModes). Shared by ssh, scp and rsync.
 */
import { createHmac } from 'node:crypto';
import type { CmdCtx } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { resolveOn } from './hosts.js';
import { route } from '../node/route.js';
import { parsePublicLine, publicLine, rsaBlob, md5Fingerprint } from '../node/keys.js';
import { globToRegExp } from '../shell/glob.js';
import { dirname } from '../fs/path.js';

/** Client options (command line -o / -i / -p / -l, then ~/.ssh/config, then /etc/ssh/ssh_config). */
export interface SshOptions {
  user?: string;
  port?: number;
  identities: string[];
  opts: Record<string, string>;
}

/** A live "connection": the peer node and the names used for it. */
export interface SshConn {
  node: LabNode;
  user: string;
  host: string;
  ip: string;
}

/** Read `Key value` options for `host` from an ssh_config file (first value wins). */
function configOpts(ctx: CmdCtx, file: string, host: string, into: Record<string, string>): void {
  let text: string;
  try {
    text = ctx.node.fs.readText(file);
  } catch {
    return;
  }
  let applies = true;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const m = /^(\S+)\s*(?:=\s*|\s+)(.*)$/.exec(l);
    if (!m) continue;
    const key = m[1].toLowerCase();
    if (key === 'host') {
      applies = m[2].split(/\s+/).some((p) => globToRegExp(p).test(host));
      continue;
    }
    if (applies && !(key in into)) into[key] = m[2].replace(/^"(.*)"$/, '$1');
  }
}

/** Parse `-o Key=Value` / `-oKey=Value` / `-o "Key Value"` into the options map (lower-case keys). */
export function addOption(opts: Record<string, string>, spec: string): void {
  const m = /^\s*(\S+?)\s*(?:=|\s)\s*(.*)$/.exec(spec);
  if (m && !(m[1].toLowerCase() in opts)) opts[m[1].toLowerCase()] = m[2]!;
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern
    .split(',')
    .some(
      (p) =>
        p.toLowerCase() === name.toLowerCase() ||
        (/[*?]/.test(p) && globToRegExp(p.toLowerCase()).test(name.toLowerCase())),
    );
}

interface KnownEntry {
  file: string;
  line: number;
  blob: Buffer;
}

function knownEntries(ctx: CmdCtx, files: string[], name: string): KnownEntry[] {
  const out: KnownEntry[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = ctx.node.fs.readText(f);
    } catch {
      continue;
    }
    text.split('\n').forEach((raw, i) => {
      const l = raw.trim();
      if (!l || l.startsWith('#')) return;
      const sp = l.indexOf(' ');
      if (sp < 0) return;
      const key = parsePublicLine(l.slice(sp + 1));
      if (key && hostMatches(l.slice(0, sp), name)) out.push({ file: f, line: i + 1, blob: key.blob });
    });
  }
  return out;
}

/** The host key blob a node's sshd presents. */
export function hostKeyBlob(node: LabNode): Buffer | null {
  try {
    const pub = parsePublicLine(node.fs.readText('/etc/ssh/ssh_host_rsa_key.pub'));
    if (pub) return pub.blob;
    return rsaBlob(node.fs.readText('/etc/ssh/ssh_host_rsa_key')).blob;
  } catch {
    return null;
  }
}

/**
 * Connect as OpenSSH would; on failure prints OpenSSH's messages to stderr and returns null
 * (the caller exits 255).
 */
export function sshConnect(ctx: CmdCtx, target: string, o: SshOptions): SshConn | null {
  const fs = ctx.node.fs;
  const at = target.lastIndexOf('@');
  const host = at >= 0 ? target.slice(at + 1) : target;
  const opts = { ...o.opts };
  const home = ctx.sh.vars.get('HOME') ?? '/root';
  configOpts(ctx, `${home}/.ssh/config`, host, opts);
  configOpts(ctx, '/etc/ssh/ssh_config', host, opts);
  const user = at >= 0 ? target.slice(0, at) : (o.user ?? opts.user ?? 'root');
  const port = o.port ?? Number(opts.port ?? 22);
  const batch = (opts.batchmode ?? 'no').toLowerCase() === 'yes';
  const strict = (opts.stricthostkeychecking ?? 'ask').toLowerCase();
  const quiet = (opts.loglevel ?? '').toLowerCase() === 'quiet' || (opts.loglevel ?? '').toLowerCase() === 'error';
  const hostName = opts.hostname ?? host;

  const entry = resolveOn(ctx.node, hostName);
  if (!entry) {
    ctx.err(`ssh: Could not resolve hostname ${host}: Name or service not known\r\n`);
    return null;
  }
  const ip = entry.ip;
  const r = route(ctx.node, ip, ctx.node.world.nodes());
  if ('error' in r) {
    ctx.err(`ssh: connect to host ${host} port ${port}: ${r.error}\r\n`);
    return null;
  }
  const peer = r.node;
  if (port !== 22 || !peer.isRunning('sshd')) {
    ctx.err(`ssh: connect to host ${host} port ${port}: Connection refused\r\n`);
    return null;
  }

  // Host key.
  const blob = hostKeyBlob(peer);
  if (!blob) {
    ctx.err(`ssh_exchange_identification: Connection closed by remote host\r\n`);
    return null;
  }
  const khFiles = [
    ...(opts.userknownhostsfile ?? `${home}/.ssh/known_hosts`).split(/\s+/).map((f) => f.replace(/^~/, home)),
    opts.globalknownhostsfile ?? '/etc/ssh/ssh_known_hosts',
  ];
  const userKh = khFiles[0];
  // NOTE: only port 22 gets this far (refused above), so known_hosts names the host without `[host]:port`.
  const name = host.toLowerCase();
  const isIp = /^\d+(\.\d+){3}$/.test(host);
  const byName = knownEntries(ctx, khFiles, name);
  const byIp = isIp ? byName : knownEntries(ctx, khFiles, ip);
  const fp = md5Fingerprint(blob);
  const append = (line: string) => {
    if (userKh === '/dev/null') return;
    if (!fs.stat(dirname(userKh))) fs.mkdir(dirname(userKh), 0o700);
    const cur = fs.exists(userKh) ? fs.readText(userKh) : '';
    fs.writeFile(
      userKh,
      cur + (cur && !cur.endsWith('\n') ? '\n' : '') + line + '\n',
      fs.exists(userKh) ? undefined : 0o644,
    );
  };
  const pubLine = publicLine(blob, '');
  if (byName.length) {
    if (!byName.some((e) => e.blob.equals(blob))) {
      const off = byName[0];
      ctx.err(
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n' +
          '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n' +
          '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n' +
          'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n' +
          'Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n' +
          'It is also possible that the RSA host key has just been changed.\r\n' +
          'The fingerprint for the RSA key sent by the remote host is\n' +
          `${fp}.\r\n` +
          'Please contact your system administrator.\r\n' +
          `Add correct host key in ${userKh} to get rid of this message.\r\n` +
          `Offending key in ${off.file}:${off.line}\r\n` +
          `RSA host key for ${host} has changed and you have requested strict checking.\r\n` +
          'Host key verification failed.\r\n',
      );
      return null;
    }
    if (!isIp && !byIp.length && (opts.checkhostip ?? 'yes') === 'yes') {
      append(`${ip} ${pubLine}`);
      if (!quiet)
        ctx.err(`Warning: Permanently added the RSA host key for IP address '${ip}' to the list of known hosts.\r\n`);
    }
  } else {
    if (strict !== 'no' || batch) {
      // NOTE: no terminal to ask on: OpenSSH refuses (BatchMode or not).
      ctx.err('Host key verification failed.\r\n');
      return null;
    }
    const names = isIp || byIp.length || (opts.checkhostip ?? 'yes') !== 'yes' ? name : `${name},${ip}`;
    append(`${names} ${pubLine}`);
    if (!quiet) ctx.err(`Warning: Permanently added '${names}' (RSA) to the list of known hosts.\r\n`);
  }

  // Authentication: public key only (no terminal for a password).
  const ids = o.identities.length
    ? o.identities.map((f) => f.replace(/^~/, home))
    : [opts.identityfile?.replace(/^~/, home) ?? `${home}/.ssh/id_rsa`];
  const peerHome = user === 'root' ? '/root' : `/home/${user}`;
  const ak = `${peerHome}/.ssh/authorized_keys`;
  const pfs = peer.fs;
  let ok = false;
  const akStat = pfs.stat(ak);
  const sshDir = pfs.stat(`${peerHome}/.ssh`);
  const modesOk = !!akStat && !!sshDir && !(akStat.mode & 0o022) && !(sshDir.mode & 0o022);
  if (modesOk && (user === 'root' || pfs.exists(peerHome))) {
    const authorized = pfs
      .readText(ak)
      .split('\n')
      .map((l) => parsePublicLine(l.replace(/^[^ ]*(?:from|command|no-)[^ ]* /, '')))
      .filter((k): k is NonNullable<typeof k> => !!k);
    for (const id of ids) {
      let idBlob: Buffer | null = null;
      try {
        const pubFile = fs.exists(`${id}.pub`) ? parsePublicLine(fs.readText(`${id}.pub`)) : null;
        if (fs.exists(id)) idBlob = rsaBlob(fs.readText(id)).blob;
        else if (pubFile) idBlob = null;
      } catch {
        idBlob = null;
      }
      if (idBlob && authorized.some((k) => k.blob.equals(idBlob))) ok = true;
    }
  }
  if (!ok) {
    ctx.err('Permission denied (publickey,gssapi-keyex,gssapi-with-mic,password).\r\n');
    return null;
  }
  return { node: peer, user, host, ip };
}
