/**
 * Issue 15, points 5 and 7: a lock is held by a process, not by a pid. A lock whose pid now belongs
 * to an unrelated live process, a zombie, or a process from before a reboot is taken over with a
 * note; a live anvil-install's lock still blocks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireLock, LockHeld, LOCK_FILE } from '../../src/state/store.js';
import { bootId, procStat, staleReason } from '../../src/util/pid.js';
import { tempDir } from '../helpers/synthetic-steps.js';
import { ROOT } from '../helpers/cli-process.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A child process and the first line it prints. */
function start(cmd: string, args: string[]): Promise<{ proc: ChildProcess; line: string }> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((res, rej) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) res({ proc, line: out.split('\n')[0] });
    });
    proc.on('exit', (c) => rej(new Error(`${cmd} exited (${c}) before printing`)));
  });
}

function writeLock(dir: string, lock: Record<string, unknown>): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), since: '2026-01-01T00:00:00Z', ...lock }));
}

function readLock(dir: string): { pid: number; startTime?: string; bootId?: string } {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; startTime?: string; bootId?: string };
}

/** Take the lock, collecting the notes it prints. */
function take(dir: string): { notes: string[]; release: () => void } {
  const notes: string[] = [];
  const release = acquireLock(dir, { note: (l) => notes.push(l) });
  return { notes, release };
}

const onLinux = !!bootId() && !!procStat(process.pid);

describe.skipIf(!onLinux)('stale locks (needs /proc)', () => {
  it('records the start time and the boot id of the process that holds it', () => {
    const dir = tempDir();
    const { release } = take(dir);
    const lock = readLock(dir);
    expect(lock.pid).toBe(process.pid);
    expect(lock.startTime).toBe(procStat(process.pid)!.startTime);
    expect(lock.bootId).toBe(bootId());
    release();
  });

  it('takes over a lock whose pid now belongs to an unrelated live process (its start time differs)', async () => {
    const dir = tempDir();
    const { proc } = await start('sh', ['-c', 'echo up; exec sleep 30']);
    const real = procStat(proc.pid!)!.startTime;
    writeLock(dir, { pid: proc.pid, startTime: String(Number(real) + 1), bootId: bootId() });
    const { notes, release } = take(dir);
    expect(readLock(dir).pid).toBe(process.pid);
    expect(notes).toEqual([
      `note: took over the stale lock ${join(dir, LOCK_FILE)} (held since 2026-01-01T00:00:00Z): pid ${proc.pid} now belongs to another process (started at tick ${real}, not ${Number(real) + 1})`,
    ]);
    // NOTE: the unrelated process is left alone.
    expect(proc.exitCode).toBeNull();
    release();
  });

  it('takes over a lock taken before this machine last booted, even when its pid is alive now', () => {
    const dir = tempDir();
    writeLock(dir, { pid: process.pid, startTime: procStat(process.pid)!.startTime, bootId: 'another-boot' });
    const { notes, release } = take(dir);
    expect(notes[0]).toMatch(/: it was taken before this machine last booted \(pid \d+\)$/);
    release();
  });

  it('takes over a lock held by a zombie', async () => {
    const dir = tempDir();
    // NOTE: sleep never reaps the child its shell started, so that child stays a zombie. The child
    // outlives the shell's exec by a second: one that ended before it could be reaped by the shell.
    const { line } = await start('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30']);
    const zombie = Number(line);
    for (let i = 0; i < 500 && procStat(zombie)?.state !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procStat(zombie)?.state).toBe('Z');
    writeLock(dir, { pid: zombie, startTime: procStat(zombie)!.startTime, bootId: bootId() });
    expect(staleReason({ pid: zombie, startTime: procStat(zombie)!.startTime })).toBe(
      `its process ${zombie} has exited (a zombie)`,
    );
    const { notes, release } = take(dir);
    expect(notes[0]).toMatch(/has exited \(a zombie\)$/);
    release();
  });

  it('takes over a lock whose process is gone', async () => {
    const dir = tempDir();
    const { proc } = await start('sh', ['-c', 'echo up; exec sleep 30']);
    const startTime = procStat(proc.pid!)!.startTime;
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    writeLock(dir, { pid: proc.pid, startTime, bootId: bootId() });
    const { notes, release } = take(dir);
    expect(notes[0]).toMatch(new RegExp(`: its process ${proc.pid} is gone$`));
    release();
  });

  it('a live anvil-install holding the lock still blocks, with who holds it; nothing is printed or removed', async () => {
    const dir = tempDir();
    const store = pathToFileURL(join(ROOT, 'dist', 'src', 'state', 'store.js')).href;
    const { proc } = await start(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(store)}); m.acquireLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`,
    ]);
    const before = readFileSync(join(dir, LOCK_FILE), 'utf8');
    expect(JSON.parse(before)).toMatchObject({ pid: proc.pid, startTime: procStat(proc.pid!)!.startTime });
    const notes: string[] = [];
    let err: unknown;
    try {
      acquireLock(dir, { note: (l) => notes.push(l) })();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHeld);
    expect((err as LockHeld).message).toMatch(
      new RegExp(`^state folder .* is in use by another anvil-install \\(pid ${proc.pid} on `),
    );
    expect(notes).toEqual([]);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(before);
  });

  it('a lock written by an older version (no start time) still blocks while its pid lives', () => {
    const dir = tempDir();
    writeLock(dir, { pid: process.pid });
    expect(() => take(dir)).toThrow(LockHeld);
  });
});
