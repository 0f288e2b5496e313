import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalSshd, type LocalSshd } from '../../src/bench/local-sshd.js';
import { q, sh } from '../../src/engine/shell.js';
import { CommandTimeout } from '../../src/remote/errors.js';
import type { NodeSession } from '../../src/remote/node-session.js';
import { noSshd, sessionTo } from './sshd-fixture.js';

describe.skipIf(!!noSshd)('NodeSession against a real OpenSSH sshd', () => {
  let sshd: LocalSshd;
  let s: NodeSession;
  // NOTE: sshd runs on this machine, so the remote filesystem is this one: tests check it directly.
  const work = join(tmpdir(), `anvil-remote-${randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    sshd = await startLocalSshd();
    s = sessionTo(sshd);
    await s.connect();
    mkdirSync(work, { recursive: true });
  });
  afterAll(async () => {
    await s?.close();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('returns exit codes 0, 3 and 127 without throwing', async () => {
    expect((await s.exec('true')).code).toBe(0);
    expect((await s.exec('exit 3')).code).toBe(3);
    const missing = await s.exec('no-such-command-anvil');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('captures stdout and stderr separately', async () => {
    const r = await s.exec('echo out; echo err >&2; echo out2');
    expect(r.stdout).toBe('out\nout2\n');
    expect(r.stderr).toBe('err\n');
    expect(typeof r.ms).toBe('number');
  });

  it('streams a 10 MB stdout completely', async () => {
    const r = await s.exec('head -c 10485760 /dev/zero | tr "\\0" x');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(10 * 1024 * 1024);
    expect(/^x+$/.test(r.stdout)).toBe(true);
  });

  it('feeds stdin and closes it', async () => {
    const r = await s.exec('cat; echo "|$(wc -c </dev/null)"', { stdin: 'line one\nsecret: p@ss\n' });
    expect(r.stdout).toBe('line one\nsecret: p@ss\n|0\n');
    // without stdin the command sees EOF at once instead of hanging
    expect((await s.exec('cat', { timeoutMs: 30_000 })).stdout).toBe('');
  });

  it('runs parallel commands over the one connection', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.exec(`echo ${i}`)));
    expect(rs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('stops a command at its timeout with an error naming node, command and limit', async () => {
    const cmd = 'sleep 600 # anvil-timeout-test';
    const err = await s.exec(cmd, { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeout);
    expect(err.message).toContain('an-node01');
    expect(err.message).toContain(cmd);
    expect(err.message).toContain('300 ms');
    // the connection is still usable
    expect((await s.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('writes via temp + rename, sets the mode, and leaves no temp file', async () => {
    const f = join(work, 'etc', 'new.conf');
    mkdirSync(join(work, 'etc'), { recursive: true });
    await s.writeFile(f, 'a=1\n', { mode: 0o600 });
    expect(readFileSync(f, 'utf8')).toBe('a=1\n');
    expect(statSync(f).mode & 0o7777).toBe(0o600);
    await s.writeFile(f, Buffer.from('a=2\n'));
    expect(readFileSync(f, 'utf8')).toBe('a=2\n');
    expect(statSync(f).mode & 0o7777).toBe(0o600); // kept when not given
    expect(readdirSync(join(work, 'etc'))).toEqual(['new.conf']);
  });

  it('backs up the first original only, preserving its mode, creating the backup folder', async () => {
    const f = join(work, 'hosts');
    const backup = join(work, 'root', 'backups', 'hosts');
    writeFileSync(f, 'original\n', { mode: 0o640 });
    await s.writeFile(f, 'second\n', { backupTo: backup });
    expect(readFileSync(backup, 'utf8')).toBe('original\n');
    expect(statSync(backup).mode & 0o7777).toBe(0o640);
    expect(readFileSync(f, 'utf8')).toBe('second\n');
    expect(statSync(f).mode & 0o7777).toBe(0o640);
    await s.writeFile(f, 'third\n', { backupTo: backup, mode: 0o644 });
    expect(readFileSync(backup, 'utf8')).toBe('original\n');
    expect(readFileSync(f, 'utf8')).toBe('third\n');
    expect(statSync(f).mode & 0o7777).toBe(0o644);
    // a new file has no original: no backup made
    const fresh = join(work, 'fresh.conf');
    await s.writeFile(fresh, 'x\n', { backupTo: join(work, 'root', 'backups', 'fresh.conf') });
    expect(existsSync(join(work, 'root', 'backups', 'fresh.conf'))).toBe(false);
  });

  it('reads files back; null for a missing one', async () => {
    const f = join(work, 'read.bin');
    const data = randomBytes(300_000);
    writeFileSync(f, data);
    expect((await s.readFile(f))!.equals(data)).toBe(true);
    expect(await s.readFile(join(work, 'does-not-exist'))).toBeNull();
  });

  it('passes hostile strings quoted with q() through verbatim and never runs them', async () => {
    const tag = randomBytes(6).toString('hex');
    const pwned = `/tmp/pwned-${tag}`;
    const hostile = [
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `'; touch ${pwned}; '`,
      `"; touch ${pwned}; "`,
      `it's "quoted" \\ and \\'`,
      `line1\ntouch ${pwned}\nline3`,
      `; rm -rf ${pwned}-dir; touch ${pwned}`,
      `&& touch ${pwned} || touch ${pwned} | tee ${pwned} > ${pwned}`,
      `$HOME \${PATH} * ? [a-z] ~ # !!`,
      'Ünïcødé ✓ 日本語 🚀',
      '-n',
      '',
      '   spaced   out   ',
    ];
    for (const x of hostile) {
      const r = await s.exec(`printf %s ${q(x)}`);
      expect(r.code, x).toBe(0);
      expect(r.stdout, x).toBe(x);
    }
    const r = await s.exec(sh`printf '%s|' ${hostile[0]} ${hostile[2]} ${hostile[5]}`);
    expect(r.stdout).toBe(`${hostile[0]}|${hostile[2]}|${hostile[5]}|`);
    expect(existsSync(pwned)).toBe(false);
    // NOTE: control: the same payload unquoted does run, so the check above can fail.
    const control = `/tmp/pwned-${tag}-control`;
    await s.exec(`printf %s $(touch ${control})`);
    expect(existsSync(control)).toBe(true);
    rmSync(control);
  });

  it('logs in through an ssh-agent when no key file is given', async () => {
    const sock = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await expect.poll(() => existsSync(sock), { timeout: 30_000, interval: 20 }).toBe(true);
      const add = spawnSync('ssh-add', [sshd.clientKeyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        encoding: 'utf8',
      });
      expect(add.status, add.stderr).toBe(0);
      const viaAgent = sessionTo(sshd, { privateKeyPath: undefined, agent: sock });
      expect((await viaAgent.exec('echo agent')).stdout).toBe('agent\n');
      await viaAgent.close();
    } finally {
      agent.kill();
    }
  });
});
