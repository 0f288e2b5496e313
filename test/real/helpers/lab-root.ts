/**
 * A lab node's files as a real root: its filesystem materialised to a directory (files, modes,
 * directories, symlinks; not /proc, /sys, /dev or the lab's program stubs), with the host's /usr
 * bind-mounted read-only and bin/lib/sbin/lib64 as Debian's merged-/usr links, so that real bash and
 * GNU tools run on exactly the node's files (chroot, in private mount, pid and network namespaces:
 * no network). `snapshot` reads the tree back to compare the files a command changed.
 */
import {
  chmodSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LabNode } from '../../../src/lab/node/node.js';
import { must, run, type Run } from './netns.js';

const SKIP = new Set(['/proc', '/sys', '/dev', '/bin', '/sbin', '/lib', '/lib64', '/usr']);

/** Write the lab node's tree under `dir`. */
export function materialize(node: LabNode, dir: string): void {
  const walk = (p: string) => {
    for (const name of node.fs.readdir(p)) {
      const path = p === '/' ? `/${name}` : `${p}/${name}`;
      if (SKIP.has(path)) continue;
      const st = node.fs.lstat(path)!;
      const out = join(dir, path);
      const t = st.mtimeMs / 1000;
      if (st.type === 'dir') {
        mkdirSync(out, { recursive: true, mode: st.mode });
        walk(path);
        utimesSync(out, t, t);
      } else if (st.type === 'link') {
        symlinkSync(node.fs.readlink(path), out);
        lutimesSync(out, t, t);
      } else if (st.type === 'file') {
        writeFileSync(out, node.fs.readFile(path), { mode: st.mode });
        // NOTE: the node's mtimes, so that `ls -l` and `stat` can be compared.
        utimesSync(out, t, t);
      }
    }
  };
  walk('/');
  chmodSync(dir, node.fs.lstat('/')!.mode);
  for (const d of ['usr', 'proc', 'dev', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  for (const [l, t] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ])
    symlinkSync(t, join(dir, l));
  // NOTE: Debian's /usr/bin/awk goes through /etc/alternatives, which the node's /etc lacks; EL6's awk is gawk.
  mkdirSync(join(dir, 'etc/alternatives'), { recursive: true });
  symlinkSync('/usr/bin/gawk', join(dir, 'etc/alternatives/awk'));
  must(['mknod', '-m', '666', join(dir, 'dev/null'), 'c', '1', '3']);
  must(['mknod', '-m', '666', join(dir, 'dev/zero'), 'c', '1', '5']);
}

/** Run `cmd` with real bash as root in /root of the materialised tree, with the node's hostname. */
export function runReal(dir: string, cmd: string, hostname: string, stdin?: string): Promise<Run> {
  return run(
    [
      'unshare',
      '-u',
      '-m',
      '-n',
      '-p',
      '-f',
      '--propagation',
      'private',
      'sh',
      '-c',
      'hostname "$3" && mount --bind /usr "$1/usr" && mount -o remount,bind,ro "$1/usr" && mount -t proc proc "$1/proc" || exit 99; cd "$1/root" 2>/dev/null || cd "$1"; exec env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin LANG=C USER=root chroot "$1" /bin/bash -c "cd /root 2>/dev/null; $2"',
      'sh',
      dir,
      cmd,
      hostname,
    ],
    { stdin, timeoutMs: 20_000 },
  );
}

/** path → `mode:content` of every file and link under `dir` (not usr/proc/dev). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (['usr', 'proc', 'dev', 'etc/alternatives'].includes(r)) continue;
      const st = lstatSync(join(dir, r));
      if (st.isSymbolicLink()) out.set(`/${r}`, `link:${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        out.set(`/${r}/`, `dir:${(st.mode & 0o7777).toString(8)}`);
        walk(r);
      } else out.set(`/${r}`, `${(st.mode & 0o7777).toString(8)}:${readFileSync(join(dir, r), 'utf8')}`);
    }
  };
  walk('');
  return out;
}

/** The lab node's tree in the same form as `snapshot`. */
export function labSnapshot(node: LabNode): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    for (const name of node.fs.readdir(p)) {
      const path = p === '/' ? `/${name}` : `${p}/${name}`;
      if (SKIP.has(path)) continue;
      const st = node.fs.lstat(path)!;
      if (st.type === 'link') out.set(path, `link:${node.fs.readlink(path)}`);
      else if (st.type === 'dir') {
        out.set(`${path}/`, `dir:${(st.mode & 0o7777).toString(8)}`);
        walk(path);
      } else if (st.type === 'file') out.set(path, `${(st.mode & 0o7777).toString(8)}:${node.fs.readText(path)}`);
    }
  };
  walk('/');
  return out;
}

/** Paths whose entry differs between two snapshots (added, removed or changed). */
export function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}
