/**
 * How to reach a node, from the answers (`nodes[].ssh`) and the operator's `~/.ssh/config`, as
 * `ssh NODE` would: a value written in the answers wins over the config unless it is the schema's
 * default (port 22, user root), which the config may override; the config's HostName, IdentityFile
 * and ProxyJump apply; without any IdentityFile, OpenSSH's default identities are tried.
 */
import { userInfo } from 'node:os';
import { defaultIdentities, parseProxyJump, sshConfigFor, type SshConfigSource } from './ssh-config.js';

/** Where and how to log in to one host. */
export interface SshHop {
  /** The name as typed (node name, `nodes[].ssh.host`, or a ProxyJump host): config lookups use it. */
  alias: string;
  host: string;
  port: number;
  user: string;
  /** Key files to try, in order (the answers' `privateKey` first). */
  identityFiles: string[];
  /** Use the ssh-agent (not with IdentitiesOnly yes). */
  agent: boolean;
}

/** A node's route: the node itself and the bastions in front of it (first hop first). */
export interface SshTarget extends SshHop {
  jumps: SshHop[];
}

/** What the answers say about a node's SSH. */
export interface NodeSshAnswers {
  host?: string;
  port?: number;
  user?: string;
  privateKey?: string;
}

function hop(
  alias: string,
  given: { user?: string; port?: number; privateKey?: string },
  src: SshConfigSource,
  defaultUser: string,
  home?: string,
): SshHop {
  const c = sshConfigFor(alias, src);
  const files = [...(given.privateKey ? [given.privateKey] : []), ...c.identityFiles];
  return {
    alias,
    host: c.hostName ?? alias,
    port: given.port ?? c.port ?? 22,
    user: given.user ?? c.user ?? defaultUser,
    identityFiles: files.length ? files : defaultIdentities(home ?? src.home),
    agent: c.identitiesOnly !== true,
  };
}

/** The route to a node named `name` with these answers. */
export function resolveTarget(name: string, ssh: NodeSshAnswers, src: SshConfigSource = {}): SshTarget {
  const alias = ssh.host || name;
  const node = hop(
    alias,
    {
      user: ssh.user && ssh.user !== 'root' ? ssh.user : undefined,
      port: ssh.port && ssh.port !== 22 ? ssh.port : undefined,
      privateKey: ssh.privateKey,
    },
    src,
    'root',
  );
  const jump = sshConfigFor(alias, src).proxyJump;
  // NOTE: a bastion's user defaults to the local user, as with `ssh -J`.
  const jumps = jump
    ? parseProxyJump(jump).map((j) => hop(j.host, { user: j.user, port: j.port }, src, userInfo().username))
    : [];
  return { ...node, jumps };
}
