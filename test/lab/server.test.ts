/**
 * The lab's SSH face over a real ssh2 client, against the contract-conforming fake world:
 * exec, SFTP, host keys, auth, reachability, dropped sessions, journal, persistence.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { loadAnswers } from '../../src/plan/load.js';
import type { Answers } from '../../src/plan/schema.js';
import { findRunningLab, labSessionOptions, startLab, type LabHandle } from '../../src/lab/index.js';
import { readJournal } from '../../src/lab/store/journal.js';
import { loadSavedWorld } from '../../src/lab/store/persist.js';
import { AnvilError } from '../../src/errors.js';
import { ConnectionFailed, ConnectionLost } from '../../src/remote/errors.js';
import { createWorld, type FakeWorld } from '../helpers/fake-lab-world.js';
import { call, closed, connect, run, sftpOf } from '../helpers/lab-ssh-client.js';
import { generateEd25519 } from '../../src/remote/ed25519.js';
import { NodeSession } from '../../src/remote/node-session.js';
import { perf } from '../../src/util/perf.js';

const { STATUS_CODE } = ssh2.utils.sftp;
const N1 = 'an-node01';
const N2 = 'an-node02';

let answers: Answers;
const dirs: string[] = [];
const labs: LabHandle[] = [];

beforeAll(() => {
  answers = loadAnswers('examples/tutorial.anvil.yaml');
});

afterEach(async () => {
  for (const l of labs.splice(0)) await l.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-lab-test-'));
  dirs.push(d);
  return d;
}

async function lab(stateDir?: string, a: Answers = answers): Promise<LabHandle> {
  const l = await startLab({ ...(stateDir ? { stateDir } : {}), answers: a, createWorld });
  labs.push(l);
  return l;
}

describe('lab SSH exec', () => {
  it('runs commands with exit codes, stdout, stderr and stdin', async () => {
    const l = await lab(tmp());
    const c = await connect(l.connectOptions(N1));
    try {
      expect(await run(c, 'echo hello world')).toEqual({ code: 0, stdout: 'hello world\n', stderr: '' });
      expect((await run(c, 'exit 3')).code).toBe(3);
      expect(await run(c, 'echo oops >&2')).toEqual({ code: 0, stdout: '', stderr: 'oops\n' });
      const nf = await run(c, 'frobnicate');
      expect(nf.code).toBe(127);
      expect(nf.stderr).toContain('command not found');
      expect(await run(c, 'cat', { stdin: 'line 1\nline 2\n' })).toEqual({
        code: 0,
        stdout: 'line 1\nline 2\n',
        stderr: '',
      });
      expect((await run(c, 'cat /etc/hostname')).stdout).toBe(`${N1}\n`);
      expect((await run(c, 'printenv LANG', { env: { LANG: 'C' } })).stdout).toBe('C\n');
    } finally {
      c.end();
    }
  });

  it('runs a command whose client never sends EOF', async () => {
    const l = await lab();
    const c = await connect(l.connectOptions(N2));
    try {
      expect(await run(c, 'echo still answers', { eof: false })).toEqual({
        code: 0,
        stdout: 'still answers\n',
        stderr: '',
      });
    } finally {
      c.end();
    }
  });

  it('serves each node its own world', async () => {
    const l = await lab();
    const c1 = await connect(l.connectOptions(N1));
    const c2 = await connect(l.connectOptions(N2));
    try {
      await run(c1, 'echo one > /root/which');
      expect((await run(c1, 'cat /root/which')).stdout).toBe('one\n');
      expect((await run(c2, 'cat /root/which')).code).toBe(1);
    } finally {
      c1.end();
      c2.end();
    }
  });
});

describe('lab shell', () => {
  it('runs lines without a terminal and ends with exit N', async () => {
    const l = await lab();
    const c = await connect(l.connectOptions(N1));
    try {
      const r = await new Promise<{ out: string; err: string; code: number | null }>((resolve, reject) =>
        c.shell(false, (err, stream) => {
          if (err) return reject(err);
          let out = '';
          let errOut = '';
          let code: number | null = null;
          stream.on('data', (d: Buffer) => (out += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
          stream.on('exit', (x: number) => (code = x));
          stream.on('close', () => resolve({ out, err: errOut, code }));
          stream.write('echo one\nnosuch\necho two\nexit 3\necho never\n');
        }),
      );
      expect(r).toEqual({ out: 'one\ntwo\n', err: 'bash: nosuch: command not found\n', code: 3 });
      expect((l.world as FakeWorld).nodes[N1].ran).toEqual(['echo one', 'nosuch', 'echo two']);
    } finally {
      c.end();
    }
  });

  it('prompts and echoes on a terminal', async () => {
    const l = await lab();
    const c = await connect(l.connectOptions(N2));
    try {
      const out = await new Promise<string>((resolve, reject) =>
        c.shell({ term: 'vt100' }, (err, stream) => {
          if (err) return reject(err);
          let buf = '';
          stream.on('data', (d: Buffer) => (buf += d.toString()));
          stream.on('close', () => resolve(buf));
          stream.write('echo hi\r');
          stream.write('exit\r');
        }),
      );
      expect(out).toBe(`[root@${N2} ~]# echo hi\r\nhi\r\n[root@${N2} ~]# exit\r\n`);
    } finally {
      c.end();
    }
  });
});

describe('lab SFTP', () => {
  it('writes, renames, reads, stats, lists, chmods and removes through LabFs', async () => {
    const l = await lab();
    const c = await connect(l.connectOptions(N1));
    const s = await sftpOf(c);
    try {
      const h = await call<Buffer>((cb) => s.open('/etc/.hosts.tmp', 'wx', { mode: 0o600 }, cb));
      const body = Buffer.from('127.0.0.1 localhost\n10.20.0.1 an-node01.bcn\n');
      await call((cb) => s.write(h, body, 0, 10, 0, cb));
      await call((cb) => s.write(h, body, 10, body.length - 10, 10, cb));
      expect((await call<ssh2.Stats>((cb) => s.fstat(h, cb))).size).toBe(body.length);
      await call((cb) => s.fchmod(h, 0o644, cb));
      await call((cb) => s.ext_openssh_fsync(h, cb));
      await call((cb) => s.close(h, cb));
      await call((cb) => s.rename('/etc/.hosts.tmp', '/etc/hosts', cb));

      const fs = (l.world as FakeWorld).nodes[N1].fs;
      expect(fs.readFile('/etc/hosts').toString()).toBe(body.toString());
      expect(fs.stat('/etc/.hosts.tmp')).toBeNull();

      const st = await call<ssh2.Stats>((cb) => s.stat('/etc/hosts', cb));
      expect(st.isFile()).toBe(true);
      expect(st.size).toBe(body.length);
      expect(st.mode & 0o777).toBe(0o644);
      const dst = await call<ssh2.Stats>((cb) => s.lstat('/etc', cb));
      expect(dst.isDirectory()).toBe(true);

      // read back through a read handle, in two pieces
      const rh = await call<Buffer>((cb) => s.open('/etc/hosts', 'r', cb));
      const buf = Buffer.alloc(body.length);
      const n1 = await call<number>((cb) => s.read(rh, buf, 0, 5, 0, cb));
      const n2 = await call<number>((cb) => s.read(rh, buf, 5, body.length - 5, 5, cb));
      expect(n1 + n2).toBe(body.length);
      expect(buf.toString()).toBe(body.toString());
      await call((cb) => s.close(rh, cb));
      expect((await call<Buffer>((cb) => s.readFile('/etc/hosts', cb))).toString()).toBe(body.toString());

      // plain RENAME refuses an existing target (as OpenSSH); posix-rename replaces it
      await call((cb) => s.writeFile('/etc/hosts.new', 'replaced\n', cb));
      const refused = await call((cb) => s.rename('/etc/hosts.new', '/etc/hosts', cb)).catch(
        (e: { code?: number }) => e,
      );
      expect((refused as { code?: number }).code).toBe(STATUS_CODE.FAILURE);
      await call((cb) => s.ext_openssh_rename('/etc/hosts.new', '/etc/hosts', cb));
      expect(fs.readFile('/etc/hosts').toString()).toBe('replaced\n');

      // folders, listing, chmod, remove
      await call((cb) => s.mkdir('/root/backups', { mode: 0o700 }, cb));
      expect(fs.stat('/root/backups')).toMatchObject({ type: 'dir', mode: 0o700 });
      await call((cb) => s.writeFile('backups/hosts.orig', 'orig\n', cb)); // relative to /root
      expect(fs.readFile('/root/backups/hosts.orig').toString()).toBe('orig\n');
      const list = await call<ssh2.FileEntryWithStats[]>((cb) => s.readdir('/root/backups', cb));
      expect(list.map((e) => e.filename)).toEqual(['hosts.orig']);
      expect(list[0].longname).toMatch(/^-rw-r--r-- .* hosts\.orig$/);
      await call((cb) => s.chmod('/root/backups/hosts.orig', 0o400, cb));
      expect(fs.stat('/root/backups/hosts.orig')!.mode).toBe(0o400);
      const notEmpty = await call((cb) => s.rmdir('/root/backups', cb)).catch((e: { code?: number }) => e);
      expect((notEmpty as { code?: number }).code).toBe(STATUS_CODE.FAILURE);
      await call((cb) => s.unlink('/root/backups/hosts.orig', cb));
      await call((cb) => s.rmdir('/root/backups', cb));
      expect(fs.stat('/root/backups')).toBeNull();

      expect(await call<string>((cb) => s.realpath('.', cb))).toBe('/root');
      expect(await call<string>((cb) => s.realpath('/etc/../etc/hosts', cb))).toBe('/etc/hosts');
    } finally {
      c.end();
    }
  });

  it('maps errors to SFTP status codes', async () => {
    const l = await lab();
    const c = await connect(l.connectOptions(N1));
    const s = await sftpOf(c);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: number }) => e.code,
      );
    try {
      expect(await code(call((cb) => s.stat('/nope', cb)))).toBe(STATUS_CODE.NO_SUCH_FILE);
      expect(await code(call((cb) => s.open('/nope', 'r', cb)))).toBe(STATUS_CODE.NO_SUCH_FILE);
      expect(await code(call((cb) => s.open('/no/dir/file', 'w', cb)))).toBe(STATUS_CODE.NO_SUCH_FILE);
      expect(await code(call((cb) => s.open('/etc/hostname', 'wx', cb)))).toBe(STATUS_CODE.FAILURE);
      expect(await code(call((cb) => s.mkdir('/etc', cb)))).toBe(STATUS_CODE.FAILURE);
      expect(await code(call((cb) => s.unlink('/etc', cb)))).toBe(STATUS_CODE.FAILURE);
      expect(await code(call((cb) => s.readdir('/etc/hostname', cb)))).toBe(STATUS_CODE.NO_SUCH_FILE);
      expect(await code(call((cb) => s.rename('/nope', '/etc/x', cb)))).toBe(STATUS_CODE.NO_SUCH_FILE);
    } finally {
      c.end();
    }
  });
});

describe('lab through the installer transport', () => {
  it('runs commands and writes files with backup via NodeSession', async () => {
    const l = await lab();
    const t = l.transports();
    try {
      const r = await t[N1].exec('echo via transport');
      expect(r).toMatchObject({ code: 0, stdout: 'via transport\n', stderr: '' });
      expect((await t[N1].exec('cat', { stdin: 'in\n' })).stdout).toBe('in\n');
      await t[N1].writeFile('/etc/hostname', `${N1}.alteeve.ca\n`, { mode: 0o644, backupTo: '/etc/hostname.orig' });
      const fs = (l.world as FakeWorld).nodes[N1].fs;
      expect(fs.readFile('/etc/hostname').toString()).toBe(`${N1}.alteeve.ca\n`);
      expect(fs.readFile('/etc/hostname.orig').toString()).toBe(`${N1}\n`);
      expect(fs.readdir('/etc').filter((f) => f.includes('anvil'))).toEqual([]); // no temp file left
      expect((await t[N1].readFile('/etc/hostname'))!.toString()).toBe(`${N1}.alteeve.ca\n`);
      expect(await t[N1].readFile('/etc/absent')).toBeNull();
      expect((await t[N2].exec('cat /etc/hostname')).stdout).toBe(`${N2}\n`);
    } finally {
      await Promise.all(Object.values(t).map((x) => x.close()));
    }
  });
});

describe('lab sessions of the process serving it', () => {
  // NOTE: these go through memory, not loopback TCP (LabSshServer.connectInProcess): a refused
  // connection and a dropped session must look to the installer as they do over TCP.
  it('are refused while the node is off, and come back after a drop', async () => {
    const l = await lab();
    const t = l.transports();
    try {
      l.world.fault({ kind: 'power', node: N2, on: false });
      await expect(t[N2].reconnect(1_000)).rejects.toBeInstanceOf(ConnectionFailed);
      expect((await t[N1].exec('echo before')).stdout).toBe('before\n');
      expect(l.status().nodes[N1].connections).toBe(1);
      l.world.fault({ kind: 'drop-ssh', node: N1 });
      expect(l.status().nodes[N1].connections).toBe(0);
      // NOTE: as over TCP: the command sent before the client saw the drop is reported lost, not re-sent.
      await expect(t[N1].exec('echo lost')).rejects.toBeInstanceOf(ConnectionLost);
      expect((await t[N1].exec('echo after')).stdout).toBe('after\n');
      expect(l.status().nodes[N1].connections).toBe(1);
    } finally {
      await Promise.all(Object.values(t).map((x) => x.close()));
    }
  });
});

describe('lab host keys and auth', () => {
  it('keeps host keys across restarts and pins them in the connect options', async () => {
    const dir = tmp();
    const a = await lab(dir);
    const fp1 = a.nodes[N1].hostKeyFingerprint;
    const fp2 = a.nodes[N2].hostKeyFingerprint;
    expect(fp1).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fp1).not.toBe(fp2);
    let seen = '';
    const c = await connect({
      ...a.connectOptions(N1),
      hostVerifier: (k: Buffer) => ((seen = k.toString('base64')), a.connectOptions(N1).hostVerifier(k)),
    });
    c.end();
    expect(seen).not.toBe('');
    await a.stop();
    labs.splice(labs.indexOf(a), 1);

    const b = await lab(dir);
    expect(b.nodes[N1].hostKeyFingerprint).toBe(fp1);
    expect(b.nodes[N2].hostKeyFingerprint).toBe(fp2);
    expect(b.clientKeyPath).toBe(a.clientKeyPath);
    // pinned to node 2's key, node 1 must be refused
    const wrong = { ...b.connectOptions(N1), hostVerifier: b.connectOptions(N2).hostVerifier };
    await expect(connect(wrong)).rejects.toThrow();
  });

  it('accepts the lab key and the root password; refuses other keys, passwords and users', async () => {
    const a2 = structuredClone(answers);
    a2.nodes[1].ssh.password = 'n2-root-pw';
    const l = await lab(tmp(), a2);
    const base = l.connectOptions(N1);
    const { privateKey: _k, ...noKey } = base;
    const other = generateEd25519().private;

    await expect(connect({ ...noKey, privateKey: other })).rejects.toThrow(/authentication/i);
    await expect(connect({ ...noKey, password: 'wrong' })).rejects.toThrow(/authentication/i);
    await expect(connect({ ...base, username: 'admin' })).rejects.toThrow(/authentication/i);

    const byPw = await connect({ ...noKey, password: 'anvil' });
    expect((await run(byPw, 'true')).code).toBe(0);
    byPw.end();

    const { privateKey: _k2, ...noKey2 } = l.connectOptions(N2);
    await expect(connect({ ...noKey2, password: 'anvil' })).rejects.toThrow(/authentication/i);
    const n2 = await connect({ ...noKey2, password: 'n2-root-pw' });
    n2.end();
  });
});

describe('lab reachability and dropped sessions', () => {
  it('refuses connections while a node is unreachable', async () => {
    const l = await lab();
    l.world.fault({ kind: 'power', node: N2, on: false });
    await expect(connect(l.connectOptions(N2))).rejects.toThrow();
    expect(l.status().nodes[N2].reachable).toBe(false);
    const c1 = await connect(l.connectOptions(N1));
    c1.end();
    l.world.fault({ kind: 'power', node: N2, on: true });
    const c2 = await connect(l.connectOptions(N2));
    expect((await run(c2, 'true')).code).toBe(0);
    c2.end();
  });

  it('closes every session of a node on drop-sessions, including one mid-command', async () => {
    const l = await lab();
    const a = await connect(l.connectOptions(N1));
    const b = await connect(l.connectOptions(N1));
    const other = await connect(l.connectOptions(N2));
    const hung = run(a, 'hang');
    const aClosed = closed(a);
    const bClosed = closed(b);
    // NOTE: wait until the server has the command before dropping.
    while (!(l.world as FakeWorld).nodes[N1].ran.includes('hang')) await new Promise((r) => setImmediate(r));
    l.world.fault({ kind: 'drop-ssh', node: N1 });
    await Promise.all([aClosed, bClosed]);
    const r = await hung;
    expect(r.code).toBeNull();
    expect((await run(other, 'echo alive')).stdout).toBe('alive\n');
    other.end();
    // the node itself is still reachable: a new session works
    const again = await connect(l.connectOptions(N1));
    expect((await run(again, 'true')).code).toBe(0);
    again.end();
  });
});

describe('lab journal and persistence', () => {
  it('journals every command with its exit code, secrets masked, before replying', async () => {
    const dir = tmp();
    const l = await lab(dir);
    const c = await connect(l.connectOptions(N1));
    await run(c, 'echo hi');
    expect(readJournal(dir, N1).map((e) => ('cmd' in e ? [e.cmd, e.code] : []))).toEqual([['echo hi', 0]]);
    await run(c, 'exit 4');
    await run(c, 'echo secret > /root/ricci-pw'); // "secret" is the tutorial's ricci password
    const s = await sftpOf(c);
    await call((cb) => s.writeFile('/root/note', 'x', cb));
    c.end();
    const j = readJournal(dir, N1);
    expect(j.slice(0, 3).map((e) => ('cmd' in e ? [e.cmd, e.code] : []))).toEqual([
      ['echo hi', 0],
      ['exit 4', 4],
      ['echo ******** > /root/ricci-pw', 0],
    ]);
    expect(j[3]).toMatchObject({ sftp: 'write', path: '/root/note' });
    for (const e of j) expect(new Date(e.t).toISOString()).toBe(e.t);
    expect(readFileSync(join(dir, 'journal', `${N1}.jsonl`), 'utf8')).not.toContain('secret');
    expect(readJournal(dir, N2)).toEqual([]);
  });

  it('saves the world before an exec reply and restores it after a restart', async () => {
    const dir = tmp();
    const a = await lab(dir);
    const c = await connect(a.connectOptions(N1));
    expect((await run(c, 'count')).stdout).toBe('1\n');
    expect((await run(c, 'count')).stdout).toBe('2\n');
    // NOTE: read the saved world while the lab still runs: the save happened before the reply.
    const onDisk = loadSavedWorld(dir) as { nodes: Record<string, { counter: number }> };
    expect(onDisk.nodes[N1].counter).toBe(2);
    const s = await sftpOf(c);
    await call((cb) => s.writeFile('/root/kept', 'across restarts\n', cb));
    c.end();
    a.world.fault({ kind: 'cable', node: N2, nic: 'eth0', up: false });
    await a.stop();
    labs.splice(labs.indexOf(a), 1);

    const b = await lab(dir);
    const w = b.world as FakeWorld;
    expect(w.faults).toEqual([{ kind: 'cable', node: N2, nic: 'eth0', up: false }]);
    const c2 = await connect(b.connectOptions(N1));
    expect((await run(c2, 'count')).stdout).toBe('3\n');
    expect((await run(c2, 'cat /root/kept')).stdout).toBe('across restarts\n');
    c2.end();
  });

  it('is found through lab.json while running, and refuses a second lab on the same folder', async () => {
    const dir = tmp();
    expect(await findRunningLab(dir)).toBeNull();
    const l = await lab(dir);
    const found = await findRunningLab(dir);
    expect(found).not.toBeNull();
    expect(found!.pid).toBe(process.pid);
    expect(found!.nodes).toEqual(l.nodes);
    expect(found!.status.nodes[N1].reachable).toBe(true);
    await expect(startLab({ stateDir: dir, answers, createWorld })).rejects.toBeInstanceOf(AnvilError);
    await l.stop();
    labs.splice(labs.indexOf(l), 1);
    expect(await findRunningLab(dir)).toBeNull();
    const info = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { pid: number | null };
    expect(info.pid).toBeNull();
  });

  it('reuses the previous ports on restart when they are free', async () => {
    const dir = tmp();
    const a = await lab(dir);
    const ports = Object.fromEntries(Object.entries(a.nodes).map(([n, e]) => [n, e.port]));
    await a.stop();
    labs.splice(labs.indexOf(a), 1);
    const b = await lab(dir);
    expect(Object.fromEntries(Object.entries(b.nodes).map(([n, e]) => [n, e.port]))).toEqual(ports);
  });
});

describe('reconnects to a lab node follow the lab clock (issue 18)', () => {
  it('waits between attempts in lab time, never in real time: the node is back when lab time says so', async () => {
    const l = await lab(tmp());
    l.world.fault({ kind: 'power', node: N2, on: false });
    let labNow = 0;
    const waits: number[] = [];
    const s = new NodeSession({
      ...labSessionOptions(l, N2),
      clock: {
        now: () => labNow,
        async sleep(ms) {
          waits.push(ms);
          labNow += ms;
          // NOTE: the node boots 3 s (lab time) after the first failed attempt.
          if (labNow >= 3000) l.world.fault({ kind: 'power', node: N2, on: true });
          await new Promise((r) => setImmediate(r));
        },
      },
    });
    const realBefore = perf.realWaits;
    try {
      await s.connect(60_000);
      expect((await s.exec('true')).code).toBe(0);
    } finally {
      await s.close();
    }
    expect(waits).toEqual([250, 500, 1000, 2000]);
    expect(perf.realWaits).toBe(realBefore);
  });
});
