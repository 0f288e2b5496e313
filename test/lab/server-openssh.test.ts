/**
 * The lab as OpenSSH's own clients see it: `ssh` (exec, exit codes, host key pinned through a
 * known_hosts file), `sftp` (batch put/rename/get/ls) and `ssh-keygen -l` (same fingerprints).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../src/plan/load.js';
import { startLab, type LabHandle } from '../../src/lab/index.js';
import { hostKeyPath } from '../../src/lab/store/persist.js';
import { createWorld, type FakeWorld } from '../helpers/fake-lab-world.js';

const have = ['/usr/bin/ssh', '/usr/bin/sftp', '/usr/bin/ssh-keygen'].every((p) => existsSync(p));
if (!have) console.warn('SKIP lab OpenSSH interop: /usr/bin/ssh, sftp or ssh-keygen not installed');

function sh(file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(file, args, { timeout: 60000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 255
        : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) p.stdin!.end(input);
    else p.stdin!.end();
  });
}

describe.skipIf(!have)('lab with OpenSSH clients', () => {
  let dir: string;
  let lab: LabHandle;
  let common: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anvil-lab-openssh-'));
    lab = await startLab({ stateDir: dir, answers: loadAnswers('examples/tutorial.anvil.yaml'), createWorld });
    const ep = lab.nodes['an-node01'];
    const pub = readFileSync(`${hostKeyPath(dir, 'an-node01')}.pub`, 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${ep.port} ${pub}\n`);
    common = [
      '-i',
      lab.clientKeyPath,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-P',
      String(ep.port),
    ];
  });

  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the same fingerprints as ssh-keygen -l', async () => {
    for (const n of ['an-node01', 'an-node02']) {
      const r = await sh('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyPath(dir, n)}.pub`]);
      expect(r.code).toBe(0);
      expect(r.stdout.split(' ')[1]).toBe(lab.nodes[n].hostKeyFingerprint);
    }
  });

  it('runs commands through ssh with exit codes and stdin', async () => {
    const sshArgs = common.map((a) => (a === '-P' ? '-p' : a));
    const ok = await sh('/usr/bin/ssh', [...sshArgs, 'root@127.0.0.1', 'echo', 'from', 'openssh']);
    expect(ok.stderr).toBe('');
    expect(ok).toMatchObject({ code: 0, stdout: 'from openssh\n' });
    expect((await sh('/usr/bin/ssh', [...sshArgs, 'root@127.0.0.1', 'exit 9'])).code).toBe(9);
    expect((await sh('/usr/bin/ssh', [...sshArgs, 'root@127.0.0.1', 'cat'], 'piped in\n')).stdout).toBe('piped in\n');
  });

  it('transfers files with sftp in batch mode', async () => {
    const local = join(dir, 'upload.txt');
    writeFileSync(local, 'uploaded by OpenSSH sftp\n');
    const batch = join(dir, 'batch');
    writeFileSync(
      batch,
      [
        `put ${local} /etc/upload.tmp`,
        'rename /etc/upload.tmp /etc/upload.txt',
        'mkdir /root/d',
        'ls -l /etc',
        `get /etc/upload.txt ${join(dir, 'back.txt')}`,
        'chmod 600 /etc/upload.txt',
        'rm /etc/hostname',
        '',
      ].join('\n'),
    );
    const r = await sh('/usr/bin/sftp', [...common, '-b', batch, 'root@127.0.0.1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/upload\.txt/);
    expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('uploaded by OpenSSH sftp\n');
    const fs = (lab.world as FakeWorld).nodes['an-node01'].fs;
    expect(fs.readFile('/etc/upload.txt').toString()).toBe('uploaded by OpenSSH sftp\n');
    expect(fs.stat('/etc/upload.txt')!.mode).toBe(0o600);
    expect(fs.stat('/root/d')!.type).toBe('dir');
    expect(fs.stat('/etc/hostname')).toBeNull();
  });
});
