/**
 * `passwd` (shadow-utils' EL6 wording): `--stdin USER`, interactive from stdin, `-S USER`, `-l`/`-u`.
 * The password is kept in /etc/shadow as a salted SHA-512 hash (`$6$salt$...`), never in clear; the
 * tutorial needs it for the ricci user (1386-1390), whose password `cman_tool version -r` asks for.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';

/** One /etc/shadow entry. */
export interface ShadowEntry {
  user: string;
  hash: string;
  lastchg: number;
  min: string;
  max: string;
  warn: string;
  inactive: string;
}

function hashPw(pw: string, salt: string): string {
  let d = createHash('sha512')
    .update(salt + pw)
    .digest();
  // NOTE: stretched like crypt's rounds, so the stored value is not a plain digest of the password.
  for (let i = 0; i < 5000; i++) d = createHash('sha512').update(d).update(pw).digest();
  return `$6$${salt}$${d.toString('base64').replace(/=+$/, '').replace(/\+/g, '.')}`;
}

/** The user's shadow entry (a user in /etc/passwd without one is locked, `!!`). */
export function shadowEntry(node: LabNode, user: string): ShadowEntry | undefined {
  let text = '';
  try {
    text = node.fs.readText('/etc/shadow');
  } catch {
    /* no shadow */
  }
  const line = text.split('\n').find((l) => l.split(':')[0] === user);
  if (line) {
    const f = line.split(':');
    return {
      user,
      hash: f[1] ?? '!!',
      lastchg: Number(f[2] ?? 0) || 0,
      min: f[3] || '0',
      max: f[4] || '99999',
      warn: f[5] || '7',
      inactive: f[6] || '-1',
    };
  }
  let pw = '';
  try {
    pw = node.fs.readText('/etc/passwd');
  } catch {
    /* none */
  }
  if (!pw.split('\n').some((l) => l.split(':')[0] === user)) return undefined;
  return {
    user,
    hash: '!!',
    lastchg: Math.floor(node.world.now() / 86400000),
    min: '0',
    max: '99999',
    warn: '7',
    inactive: '-1',
  };
}

/** Whether `pw` is the user's password (a locked or empty hash matches nothing). */
export function checkPassword(e: ShadowEntry | undefined, pw: string): boolean {
  if (!e || !e.hash.startsWith('$6$')) return false;
  const salt = e.hash.split('$')[2] ?? '';
  return hashPw(pw, salt) === e.hash;
}

function writeEntry(node: LabNode, e: ShadowEntry): void {
  let text = '';
  try {
    text = node.fs.readText('/etc/shadow');
  } catch {
    /* created below */
  }
  const line = `${e.user}:${e.hash}:${e.lastchg}:${e.min}:${e.max}:${e.warn}:${e.inactive === '-1' ? '' : e.inactive}::`;
  const lines = text.split('\n').filter((l) => l !== '');
  const i = lines.findIndex((l) => l.split(':')[0] === e.user);
  if (i >= 0) lines[i] = line;
  else lines.push(line);
  node.fs.writeFile('/etc/shadow', lines.join('\n') + '\n', 0o000);
}

const passwd: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const flags = a.filter((x) => x.startsWith('-'));
  const user = a.filter((x) => !x.startsWith('-'))[0] ?? 'root';
  const node = ctx.node;
  const e = shadowEntry(node, user);
  if (!e) {
    ctx.err(`passwd: Unknown user name '${user}'.\n`);
    return 1;
  }
  const today = Math.floor(node.world.now() / 86400000);
  if (flags.includes('-S') || flags.includes('--status')) {
    const date = new Date(e.lastchg * 86400000).toISOString().slice(0, 10);
    const st = e.hash.startsWith('!') ? 'LK' : e.hash === '' ? 'NP' : 'PS';
    const desc =
      st === 'LK'
        ? 'Password locked.'
        : st === 'NP'
          ? 'Empty password.'
          : e.hash.startsWith('$6$')
            ? 'Password set, SHA512 crypt.'
            : 'Password set, unknown crypt variant.';
    ctx.out(`${user} ${st} ${date} ${e.min} ${e.max} ${e.warn} ${e.inactive} (${desc})\n`);
    return 0;
  }
  if (flags.includes('-l') || flags.includes('-u')) {
    const lock = flags.includes('-l');
    ctx.out(`${lock ? 'Locking' : 'Unlocking'} password for user ${user}.\n`);
    const hash = lock ? (e.hash.startsWith('!') ? e.hash : `!!${e.hash}`) : e.hash.replace(/^!+/, '');
    if (!lock && hash === '') {
      ctx.err('passwd: Unsafe operation (use -f to force)\n');
      return 1;
    }
    writeEntry(node, { ...e, hash });
    ctx.out('passwd: Success\n');
    return 0;
  }
  let pw: string | undefined;
  ctx.out(`Changing password for user ${user}.\n`);
  if (flags.includes('--stdin')) {
    pw = ctx.stdin.split('\n')[0];
  } else {
    const lines = ctx.stdin.split('\n');
    ctx.out('New password: ');
    if (lines.length < 2 && !lines[0]) {
      ctx.out('\n');
      ctx.err('passwd: Authentication token manipulation error\n');
      return 1;
    }
    ctx.out('\nRetype new password: ');
    if (lines[0] !== lines[1]) {
      ctx.out('\nSorry, passwords do not match.\n');
      ctx.err('passwd: Authentication token manipulation error\n');
      return 1;
    }
    ctx.out('\n');
    pw = lines[0];
  }
  if (!pw) {
    ctx.err('passwd: Authentication token manipulation error\n');
    return 1;
  }
  writeEntry(node, {
    ...e,
    hash: hashPw(pw, randomBytes(6).toString('base64').replace(/[+/=]/g, '.')),
    lastchg: today,
  });
  node.world.changed();
  ctx.out('passwd: all authentication tokens updated successfully.\n');
  return 0;
};

/** The programs of this module, by implementation name. */
export const PASSWD_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  passwd: passwd,
};
