/**
 * The operator's OpenSSH client configuration (`~/.ssh/config`), read the way `ssh` reads it, for
 * the options that decide how to reach a node: HostName, User, Port, IdentityFile, IdentitiesOnly,
 * ProxyJump. Rules as in ssh_config(5): `Host` patterns (`*`, `?`, `!negation`, several per line),
 * the first value obtained for an option wins (IdentityFile accumulates), `Include` (relative to
 * ~/.ssh, globs in the last path part). `Match` blocks are skipped (their conditions are not
 * evaluated), which `ssh -G` would apply.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/** What the config says about one host (absent: not set). */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In order, `~` and `%` tokens expanded. */
  identityFiles: string[];
  identitiesOnly?: boolean;
  /** `none` is returned as undefined. */
  proxyJump?: string;
}

interface Entry {
  /** Patterns of the enclosing Host line; undefined = before any Host (applies to all); null = a Match block (skipped). */
  patterns: string[] | undefined | null;
  key: string;
  value: string;
}

/** ssh_config pattern match of one pattern (no negation): `*` any run, `?` one character. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(s);
}

/** Whether a Host line's patterns select `host`: some positive pattern matches and no negated one does. */
export function hostMatches(patterns: readonly string[], host: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), host)) return false;
    } else if (globMatch(p, host)) hit = true;
  }
  return hit;
}

/** Split a config line into keyword and arguments (`Key value`, `Key=value`, quoted arguments). */
function splitLine(line: string): [string, string[]] | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let a; (a = re.exec(m[2]));) args.push(a[1] ?? a[2]);
  return [m[1].toLowerCase(), args];
}

function readEntries(
  file: string,
  home: string,
  depth = 0,
  patterns: string[] | undefined | null = undefined,
): Entry[] {
  if (depth > 8 || !existsSync(file)) return [];
  const out: Entry[] = [];
  let current = patterns;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const parts = splitLine(line);
    if (!parts) continue;
    const [key, args] = parts;
    if (key === 'host') current = args;
    else if (key === 'match') current = args.length === 1 && args[0].toLowerCase() === 'all' ? ['*'] : null;
    else if (key === 'include') {
      for (const a of args)
        for (const f of expandInclude(a, home)) out.push(...readEntries(f, home, depth + 1, current));
    } else out.push({ patterns: current, key, value: args.join(' ') });
  }
  return out;
}

function expandInclude(arg: string, home: string): string[] {
  const p = arg.startsWith('~') ? join(home, arg.slice(1)) : isAbsolute(arg) ? arg : join(home, '.ssh', arg);
  const name = basename(p);
  if (!/[*?]/.test(name)) return [p];
  const dir = dirname(p);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => globMatch(name, f))
    .sort()
    .map((f) => join(dir, f));
}

/** `~` and the `%` tokens ssh_config allows in IdentityFile (%d %u %h %r %p %%). */
export function expandTokens(
  value: string,
  t: { home: string; localUser: string; host: string; user: string; port: number },
): string {
  const v = value.startsWith('~/') || value === '~' ? t.home + value.slice(1) : value;
  return v.replace(
    /%([%dhurp])/g,
    (_, c: string) => ({ '%': '%', d: t.home, h: t.host, u: t.localUser, r: t.user, p: String(t.port) })[c]!,
  );
}

/** Where to read the configuration from, and whose home `~` is. */
export interface SshConfigSource {
  /** The config file; default `~/.ssh/config`. */
  file?: string;
  /** Home folder; default the user's. */
  home?: string;
}

/** What the config says for `host` (the name as typed: node name or `nodes[].ssh.host`). */
export function sshConfigFor(host: string, src: SshConfigSource = {}): SshHostConfig {
  const home = src.home ?? homedir();
  const entries = readEntries(src.file ?? join(home, '.ssh', 'config'), home);
  const first = new Map<string, string>();
  const ids: string[] = [];
  for (const e of entries) {
    if (e.patterns === null) continue;
    if (e.patterns !== undefined && !hostMatches(e.patterns, host)) continue;
    if (e.key === 'identityfile') ids.push(e.value);
    else if (!first.has(e.key)) first.set(e.key, e.value);
  }
  const hostName = first.get('hostname');
  const port = first.has('port') ? Number(first.get('port')) : undefined;
  const user = first.get('user');
  const jump = first.get('proxyjump');
  const t = {
    home,
    localUser: userInfo().username,
    host: hostName ? hostName.replace(/%h/g, host) : host,
    user: user ?? 'root',
    port: port ?? 22,
  };
  return {
    ...(hostName ? { hostName: t.host } : {}),
    ...(user ? { user } : {}),
    ...(port && Number.isInteger(port) ? { port } : {}),
    identityFiles: ids.filter((f) => f.toLowerCase() !== 'none').map((f) => expandTokens(f, t)),
    ...(first.has('identitiesonly') ? { identitiesOnly: /^yes$/i.test(first.get('identitiesonly')!) } : {}),
    ...(jump && jump.toLowerCase() !== 'none' ? { proxyJump: jump } : {}),
  };
}

/** The identity files OpenSSH tries when none is configured, in its order (those that exist). */
export function defaultIdentities(home = homedir()): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => join(home, '.ssh', f)).filter((f) => existsSync(f));
}

/** One hop of a ProxyJump value: `[user@]host[:port]`. */
export interface JumpHost {
  user?: string;
  host: string;
  port?: number;
}

/** Parse a ProxyJump value (hops separated by commas; `ssh://` URIs accepted). */
export function parseProxyJump(value: string): JumpHost[] {
  return value
    .split(',')
    .map((s) => s.trim().replace(/^ssh:\/\//, ''))
    .filter(Boolean)
    .map((hop) => {
      const at = hop.lastIndexOf('@');
      const user = at >= 0 ? hop.slice(0, at) : undefined;
      const rest = at >= 0 ? hop.slice(at + 1) : hop;
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
      return { ...(user ? { user } : {}), host: m?.[1] ?? rest, ...(m?.[2] ? { port: Number(m[2]) } : {}) };
    });
}
