/**
 * ssh-keygen as OpenSSH 5.3 on EL6: generate RSA keys (real, node:crypto, exponent 35) with the
 * tutorial's output (MD5 fingerprint, randomart), -l fingerprints, -y, -R, -F.
 */
import { createPrivateKey } from 'node:crypto';
import type { CmdCtx, CommandFn } from '../node/command.js';
import {
  generateRsaAsync,
  publicLine,
  parsePublicLine,
  md5Fingerprint,
  randomArt,
  blobBits,
  rsaBlob,
} from '../node/keys.js';
import { dirname } from '../fs/path.js';
import { errText } from '../fs/memfs.js';
import { parseOpts } from './util.js';

async function generate(ctx: CmdCtx, o: Record<string, string>, quiet: boolean): Promise<number> {
  const fs = ctx.node.fs;
  const type = (o.t ?? 'rsa').toLowerCase();
  if (type !== 'rsa') {
    ctx.err(`unknown key type ${type}\n`);
    return 1;
  }
  const bits = Number(o.b ?? 2048);
  if (!(bits >= 768 && bits <= 16384)) {
    ctx.err(`Bits has bad value ${o.b} (too small)\n`);
    return 1;
  }
  const home = ctx.sh.vars.get('HOME') ?? '/root';
  const file = ctx.sh.resolve(o.f ?? `${home}/.ssh/id_rsa`);
  const say = (s: string) => {
    if (!quiet) ctx.out(s);
  };
  say('Generating public/private rsa key pair.\n');
  const dot = `${home}/.ssh`;
  if (file.startsWith(dot + '/') && !fs.stat(dot)) {
    fs.mkdir(dot, 0o700);
    say(`Created directory '${dot}'.\n`);
  }
  if (fs.exists(file)) {
    ctx.out(`${file} already exists.\nOverwrite (y/n)? `);
    if (!/^y/i.test(ctx.stdin.trim())) {
      ctx.out('\n');
      return 1;
    }
  }
  if (!fs.stat(dirname(file))) {
    ctx.out(`Saving key "${file}" failed: No such file or directory\n`);
    return 1;
  }
  const key = await generateRsaAsync(bits, 35);
  let pem = key.privatePem;
  const pass = o.N ?? '';
  if (pass)
    pem = createPrivateKey(pem).export({
      type: 'pkcs1',
      format: 'pem',
      cipher: 'des-ede3-cbc',
      passphrase: pass,
    }) as string;
  const comment = o.C ?? `${ctx.sh.vars.get('USER') ?? 'root'}@${ctx.node.hostname}`;
  try {
    fs.writeFile(file, pem, 0o600);
    fs.chmod(file, 0o600);
    fs.writeFile(`${file}.pub`, publicLine(key.blob, comment) + '\n', 0o644);
  } catch (e) {
    ctx.out(`Saving key "${file}" failed: ${errText(e)}\n`);
    return 1;
  }
  say(`Your identification has been saved in ${file}.\n`);
  say(`Your public key has been saved in ${file}.pub.\n`);
  say(`The key fingerprint is:\n${md5Fingerprint(key.blob)} ${comment}\n`);
  say(`The key's randomart image is:\n${randomArt(key.blob, 'RSA', key.bits)}\n`);
  ctx.node.world.changed();
  return 0;
}

function fingerprint(ctx: CmdCtx, fileArg: string): number {
  const fs = ctx.node.fs;
  const file = ctx.sh.resolve(fileArg);
  const tryPub = (path: string): Buffer | null => {
    try {
      const text = fs.readText(path).trim();
      if (text.split('\n').length !== 1) return null;
      return parsePublicLine(text)?.blob ?? null;
    } catch {
      return null;
    }
  };
  if (!fs.exists(file)) {
    ctx.err(`${fileArg}: No such file or directory\n`);
    return 1;
  }
  // NOTE: 5.3 reads FILE, then FILE.pub, and names the file it read.
  for (const [path, shown] of [
    [file, fileArg],
    [`${file}.pub`, `${fileArg}.pub`],
  ] as const) {
    const blob = tryPub(path);
    if (blob) {
      ctx.out(`${blobBits(blob)} ${md5Fingerprint(blob)} ${shown} (RSA)\n`);
      return 0;
    }
  }
  const text = fs.readText(file);
  if (text.includes('PRIVATE KEY')) {
    try {
      const { blob, bits } = rsaBlob(text);
      ctx.out(`${bits} ${md5Fingerprint(blob)} ${fileArg} (RSA)\n`);
      return 0;
    } catch {
      ctx.err(`${fileArg} is not a public key file.\n`);
      return 1;
    }
  }
  let n = 0;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const direct = parsePublicLine(l);
    if (direct) {
      ctx.out(`${blobBits(direct.blob)} ${md5Fingerprint(direct.blob)} ${direct.comment} (RSA)\n`);
      n++;
      continue;
    }
    const sp = l.indexOf(' ');
    const k = sp > 0 ? parsePublicLine(l.slice(sp + 1)) : null;
    if (k) {
      ctx.out(`${blobBits(k.blob)} ${md5Fingerprint(k.blob)} ${l.slice(0, sp)} (RSA)\n`);
      n++;
    }
  }
  if (!n) {
    ctx.err(`${fileArg} is not a public key file.\n`);
    return 1;
  }
  return 0;
}

function knownHostsEdit(ctx: CmdCtx, host: string, file: string | undefined, remove: boolean): number {
  const fs = ctx.node.fs;
  const kh = ctx.sh.resolve(file ?? `${ctx.sh.vars.get('HOME') ?? '/root'}/.ssh/known_hosts`);
  if (!fs.exists(kh)) {
    ctx.err(`${kh}: No such file or directory\n`);
    return 1;
  }
  const lines = fs.readText(kh).split('\n');
  const hit = (l: string) => l.split(' ')[0].split(',').includes(host);
  if (!remove) {
    let code = 1;
    lines.forEach((l, i) => {
      if (l && hit(l)) {
        ctx.out(`# Host ${host} found: line ${i + 1} type RSA\n${l}\n`);
        code = 0;
      }
    });
    return code;
  }
  const kept = lines.filter((l) => !l || !hit(l));
  if (kept.length === lines.length) return 0;
  fs.writeFile(`${kh}.old`, lines.join('\n'));
  fs.writeFile(kh, kept.join('\n'));
  ctx.out(`${kh} updated.\nOriginal contents retained as ${kh}.old\n`);
  return 0;
}

const sshKeygen: CommandFn = (ctx) => {
  const { flags, values } = parseOpts(ctx.argv.slice(1), ['t', 'b', 'N', 'f', 'C', 'R', 'F', 'P']);
  const o: Record<string, string> = Object.fromEntries([...values].map(([k, v]) => [k, v[v.length - 1]]));
  if (flags.has('l')) return fingerprint(ctx, o.f ?? `${ctx.sh.vars.get('HOME') ?? '/root'}/.ssh/id_rsa`);
  if (flags.has('y')) {
    try {
      const { blob } = rsaBlob(ctx.node.fs.readText(ctx.sh.resolve(o.f ?? '/root/.ssh/id_rsa')));
      ctx.out(publicLine(blob, '') + '\n');
      return 0;
    } catch (e) {
      ctx.err(`load failed: ${errText(e)}\n`);
      return 1;
    }
  }
  if (o.R !== undefined) return knownHostsEdit(ctx, o.R, o.f, true);
  if (o.F !== undefined) return knownHostsEdit(ctx, o.F, o.f, false);
  return generate(ctx, o, flags.has('q'));
};

/** ssh-keygen. */
export const KEYGEN_COMMANDS: Record<string, CommandFn> = { 'ssh-keygen': sshKeygen };
