/**
 * Disks for the block tools: a sparse image file the size of the planned disk, attached to a free
 * loop device with partition scanning (`losetup -f -P --show`; never a fixed loop number), with the OS
 * partitions the installer found there. A node handle runs the plan's exact commands on the host,
 * with only the disk's name changed: the plan's `/dev/sda` is this loop device, and the loop's names
 * in the output (`/dev/loop3`, `loop3p5`) are given back as the plan's (`/dev/sda`, `sda5`).
 * Everything is detached and deleted by `detachAll()`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecOptions, ExecResult, NodeHandle } from '../../../src/engine/types.js';
import type { PlanNode } from '../../../src/plan/derive.js';
import { CommandFailed } from '../../../src/errors.js';
import { hasProgram, must, run } from './netns.js';

/** A disk on a loop device. */
export interface LoopDisk {
  file: string;
  loop: string;
  /** The plan's name for it (`/dev/sda`). */
  planName: string;
  detach(): void;
}

const attached: LoopDisk[] = [];

/** Why loop-device tests cannot run here (not root, no losetup/parted, no free loop device); null when they can. */
export function loopUnavailable(programs: string[] = []): string | null {
  if (process.getuid?.() !== 0) return 'needs root (loop devices)';
  const missing = ['losetup', 'parted', 'partx', 'mknod', ...programs].filter((p) => !hasProgram(p));
  if (missing.length) return `missing ${missing.join(', ')}`;
  const r = spawnSync('losetup', ['-f'], { encoding: 'utf8' });
  if (r.status !== 0) return `no free loop device: ${r.stderr.trim()}`;
  return null;
}

/**
 * A sparse disk of `bytes` with an msdos label and `parts` (byte ranges, inclusive) as primary
 * partitions, attached to a free loop device; `fs` puts an ext4 or swap signature on them, as the
 * installer left them (parted prints them in its File system column).
 */
export function attachDisk(
  dir: string,
  planName: string,
  bytes: number,
  parts: [number, number][],
  fs: ('ext4' | 'swap')[] = [],
): LoopDisk {
  const file = join(dir, `${planName.replace(/^\/dev\//, '')}.img`);
  must(['truncate', '-s', String(bytes), file]);
  must(['parted', '-s', file, 'mklabel', 'msdos']);
  for (const [s, e] of parts) must(['parted', '-s', file, 'unit', 'B', 'mkpart', 'primary', `${s}B`, `${e}B`]);
  if (parts.length) must(['parted', '-s', file, 'set', '1', 'boot', 'on']);
  const loop = must(['losetup', '-f', '-P', '--show', file]).trim();
  const d: LoopDisk = {
    file,
    loop,
    planName,
    detach: () => {
      spawnSync('losetup', ['-d', loop], { stdio: 'ignore' });
      rmSync(file, { force: true });
    },
  };
  attached.push(d);
  // NOTE: the kernel lists the partitions once asked (losetup -P alone did not, on this machine).
  spawnSync('partx', ['-u', loop], { stdio: 'ignore' });
  const lb = loop.replace(/^\/dev\//, '');
  for (let i = 0; i < 100 && parts.length && !existsSync(`/sys/block/${lb}/${lb}p${parts.length}`); i++) {
    spawnSync('partx', ['-a', loop], { stdio: 'ignore' });
    spawnSync('sleep', ['0.02']);
  }
  for (const [i, f] of fs.entries()) {
    const part = partNode(dir, d, i + 1);
    // NOTE: lazy init keeps mkfs from writing the whole (sparse) partition.
    if (f === 'ext4') must(['mkfs.ext4', '-q', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', part]);
    else must(['mkswap', part]);
  }
  return d;
}

/**
 * A device node for partition `n` of the loop disk, made in `dir` from the kernel's numbers (this
 * machine has no udev to make /dev/loopNpM; /dev itself is left alone).
 */
export function partNode(dir: string, d: LoopDisk, n: number): string {
  const lb = d.loop.replace(/^\/dev\//, '');
  const [maj, min] = readFileSync(`/sys/block/${lb}/${lb}p${n}/dev`, 'utf8').trim().split(':');
  const path = join(dir, `${lb}p${n}`);
  rmSync(path, { force: true });
  must(['mknod', path, 'b', maj, min]);
  return path;
}

/** Detach and delete every disk attached here (afterAll; never throws). */
export function detachAll(): void {
  for (const d of attached.splice(0)) d.detach();
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The plan's command with the disk's name changed to the loop device. */
export function toLoop(d: LoopDisk, cmd: string): string {
  const base = d.planName.replace(/^\/dev\//, '');
  const lb = d.loop.replace(/^\/dev\//, '');
  return cmd
    .replace(new RegExp(`${esc(d.planName)}(\\d+)\\b`, 'g'), `${d.loop}p$1`)
    .replace(new RegExp(`${esc(d.planName)}\\b`, 'g'), d.loop)
    .replace(new RegExp(`\\b${esc(base)}(\\d+)\\b`, 'g'), `${lb}p$1`);
}

/** Output with the loop device's names given back as the plan's. */
export function fromLoop(d: LoopDisk, out: string): string {
  const base = d.planName.replace(/^\/dev\//, '');
  const lb = d.loop.replace(/^\/dev\//, '');
  return out.replace(new RegExp(`${esc(lb)}p(\\d+)`, 'g'), `${base}$1`).replace(new RegExp(`${esc(lb)}\\b`, 'g'), base);
}

/** A node handle running commands on this host against the loop disk; `commands` records what ran. */
export function diskHandle(
  plan: PlanNode,
  d: LoopDisk,
  env: Record<string, string> = {},
): NodeHandle & { commands: string[]; results: { cmd: string; code: number | null; stdout: string }[] } {
  const commands: string[] = [];
  const results: { cmd: string; code: number | null; stdout: string }[] = [];
  const exec = async (cmd: string, opts: ExecOptions = {}): Promise<ExecResult> => {
    commands.push(cmd);
    const r = await run(['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', toLoop(d, cmd)], {
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    const out = { code: r.code, stdout: fromLoop(d, r.stdout), stderr: fromLoop(d, r.stderr), ms: r.ms };
    results.push({ cmd, code: out.code, stdout: out.stdout });
    return out;
  };
  return {
    plan,
    commands,
    results,
    exec,
    async sh(cmd, opts) {
      const r = await exec(cmd, opts);
      if (r.code !== 0) throw new CommandFailed(plan.name, cmd, r.code, r.stderr);
      return r.stdout;
    },
    readFile() {
      return Promise.reject(new Error('diskHandle: readFile is not used by these tests'));
    },
    writeFile() {
      return Promise.reject(new Error('diskHandle: writeFile is not used by these tests'));
    },
  };
}
