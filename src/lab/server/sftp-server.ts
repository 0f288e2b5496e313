/**
 * The SFTP subsystem of a lab node, backed by its `LabFs`. Enough of SFTP v3 for OpenSSH's `sftp`
 * and ssh2's client: open/read/write/close, stat/lstat/fstat, setstat/fsetstat (mode, size),
 * opendir/readdir, mkdir/rmdir, remove, rename, realpath, and the `posix-rename@openssh.com` and
 * `fsync@openssh.com` extensions. Relative paths are taken from root's home, `/root`, like sshd does.
 *
 * Semantics follow OpenSSH's sftp-server where clients can tell the difference: plain RENAME
 * refuses to replace an existing file (FAILURE); `posix-rename@openssh.com` replaces it.
 */
import { posix } from 'node:path';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import ssh2 from 'ssh2';
import type { LabFs, LabStat } from '../types.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

/** Root's home: where relative SFTP paths start. */
export const LAB_HOME = '/root';

/** sshd's umask on EL6: modes asked for at creation are filtered by it, as open(2) and mkdir(2) do. */
export const LAB_UMASK = 0o022;

/** Callbacks the SFTP server uses to keep the world saved and journalled. */
export interface SftpHooks {
  /** A file or folder changed (called before the reply is sent). */
  changed?(op: string, path: string, to?: string): void;
}

type Handle =
  | {
      kind: 'file';
      path: string;
      data: Buffer;
      size: number;
      readable: boolean;
      writable: boolean;
      append: boolean;
      dirty: boolean;
      mode?: number;
    }
  | { kind: 'dir'; path: string; entries: string[] | null };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function typeBits(t: LabStat['type']): number {
  return t === 'dir' ? S_IFDIR : t === 'link' ? S_IFLNK : S_IFREG;
}

/** SFTP attributes of a LabStat. */
export function toAttrs(st: LabStat): Attributes {
  return {
    mode: typeBits(st.type) | (st.mode & 0o7777),
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: st.mtime,
    mtime: st.mtime,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An `ls -l` style line, as sftp-server sends in READDIR's longname. */
export function longname(name: string, st: LabStat): string {
  const perm = (m: number, shift: number) =>
    `${m & (4 << shift) ? 'r' : '-'}${m & (2 << shift) ? 'w' : '-'}${m & (1 << shift) ? 'x' : '-'}`;
  const t = st.type === 'dir' ? 'd' : st.type === 'link' ? 'l' : '-';
  const d = new Date(st.mtime * 1000);
  const date = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const user = st.uid === 0 ? 'root' : String(st.uid);
  const group = st.gid === 0 ? 'root' : String(st.gid);
  return `${t}${perm(st.mode, 6)}${perm(st.mode, 3)}${perm(st.mode, 0)}    1 ${user.padEnd(8)} ${group.padEnd(8)} ${String(st.size).padStart(8)} ${date} ${name}`;
}

/** SFTP status of an error thrown by LabFs (or anything else). */
export function statusOf(e: unknown): number {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function messageOf(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * ssh2's server answers INIT with a VERSION packet that lists no extensions, so clients would never
 * use `posix-rename@openssh.com` although we handle it. Real EL6 sshd advertises it; rewrite that one
 * packet so lab and real nodes look alike to the wizard's SFTP client.
 */
function advertiseExtensions(sftp: SFTPWrapper, exts: Record<string, string>): void {
  const s = sftp as unknown as {
    _protocol?: Record<string | symbol, unknown> & { channelData(id: number, data: Buffer): void };
    outgoing?: { window: number };
  };
  const proto = s._protocol;
  if (!proto || typeof proto.channelData !== 'function') return; // NOTE: ssh2 internals changed; live without it.
  let done = false;
  const parts: Buffer[] = [Buffer.from([2, 0, 0, 0, 3])];
  for (const [k, v] of Object.entries(exts)) {
    for (const str of [k, v]) {
      const b = Buffer.from(str);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const version = Buffer.concat([head, body]);
  s._protocol = new Proxy(proto, {
    get(target, prop) {
      if (prop === 'channelData' && !done) {
        return (id: number, data: Buffer) => {
          // NOTE: the first packet out of a server SFTP channel is its 9-byte VERSION reply.
          if (!done && data.length === 9 && data[4] === 2) {
            done = true;
            if (s.outgoing) s.outgoing.window -= version.length - data.length;
            return target.channelData(id, version);
          }
          done = true;
          return target.channelData(id, data);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
}

/** Serve SFTP requests on `sftp` from `fs`. */
export function serveSftp(sftp: SFTPWrapper, fs: LabFs, hooks: SftpHooks = {}): void {
  advertiseExtensions(sftp, { 'posix-rename@openssh.com': '1', 'fsync@openssh.com': '1' });
  const handles = new Map<string, Handle>();
  let nextHandle = 1;
  const abs = (p: string) => posix.resolve(LAB_HOME, p || '.');
  const newHandle = (h: Handle): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(nextHandle++);
    handles.set(b.toString('hex'), h);
    return b;
  };
  const getHandle = (b: Buffer) => handles.get(b.toString('hex'));
  const ok = (id: number) => sftp.status(id, STATUS_CODE.OK);
  const fail = (id: number, e: unknown) => sftp.status(id, statusOf(e), messageOf(e));
  const errno = (code: string, msg: string) => Object.assign(new Error(msg), { code });
  /** Run `fn`; any throw becomes the matching SFTP status. */
  const guard = (id: number, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      fail(id, e);
    }
  };
  const flushFile = (h: Extract<Handle, { kind: 'file' }>) => {
    if (!h.dirty) return;
    fs.writeFile(h.path, h.data.subarray(0, h.size), h.mode);
    h.dirty = false;
    hooks.changed?.('write', h.path);
  };
  const truncate = (path: string, size: number) => {
    const cur = fs.readFile(path);
    const next = Buffer.alloc(size);
    cur.copy(next, 0, 0, Math.min(size, cur.length));
    fs.writeFile(path, next);
  };

  sftp.on('OPEN', (id, filename, flags, attrs) =>
    guard(id, () => {
      const path = abs(filename);
      const st = fs.stat(path);
      const readable = !!(flags & OPEN_MODE.READ);
      const writable = !!(flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND));
      if (st && flags & OPEN_MODE.CREAT && flags & OPEN_MODE.EXCL) throw errno('EEXIST', `${path}: file exists`);
      if (st?.type === 'dir') throw errno('EISDIR', `${path}: is a directory`);
      if (!st && !(flags & OPEN_MODE.CREAT)) throw errno('ENOENT', `${path}: no such file`);
      let data: Buffer;
      let mode: number | undefined;
      if (!st) {
        const parent = fs.stat(posix.dirname(path));
        if (!parent) throw errno('ENOENT', `${posix.dirname(path)}: no such directory`);
        if (parent.type !== 'dir') throw errno('ENOTDIR', `${posix.dirname(path)}: not a directory`);
        mode = (attrs?.mode !== undefined ? attrs.mode & 0o7777 : 0o644) & ~LAB_UMASK;
        // NOTE: the file exists from OPEN on, as with open(2) + O_CREAT.
        fs.writeFile(path, Buffer.alloc(0), mode);
        hooks.changed?.('create', path);
        data = Buffer.alloc(0);
      } else if (flags & OPEN_MODE.TRUNC && writable) {
        fs.writeFile(path, Buffer.alloc(0));
        hooks.changed?.('truncate', path);
        data = Buffer.alloc(0);
      } else {
        data = fs.readFile(path);
      }
      const h: Handle = {
        kind: 'file',
        path,
        data,
        size: data.length,
        readable,
        writable,
        append: !!(flags & OPEN_MODE.APPEND),
        dirty: false,
        mode,
      };
      sftp.handle(id, newHandle(h));
    }),
  );

  sftp.on('READ', (id, hb, offset, len) =>
    guard(id, () => {
      const h = getHandle(hb);
      if (!h || h.kind !== 'file') return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (!h.readable) return void sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'handle not open for reading');
      if (offset >= h.size) return void sftp.status(id, STATUS_CODE.EOF);
      sftp.data(id, h.data.subarray(offset, Math.min(h.size, offset + len)));
    }),
  );

  sftp.on('WRITE', (id, hb, offset, data) =>
    guard(id, () => {
      const h = getHandle(hb);
      if (!h || h.kind !== 'file') return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (!h.writable) return void sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'handle not open for writing');
      const at = h.append ? h.size : offset;
      const end = at + data.length;
      if (end > h.data.length) {
        const grown = Buffer.alloc(Math.max(end, h.data.length * 2));
        h.data.copy(grown, 0, 0, h.size);
        h.data = grown;
      }
      data.copy(h.data, at);
      h.size = Math.max(h.size, end);
      h.dirty = true;
      ok(id);
    }),
  );

  sftp.on('CLOSE', (id, hb) =>
    guard(id, () => {
      const key = hb.toString('hex');
      const h = handles.get(key);
      if (!h) return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      handles.delete(key);
      if (h.kind === 'file') flushFile(h);
      ok(id);
    }),
  );

  sftp.on('FSTAT', (id, hb) =>
    guard(id, () => {
      const h = getHandle(hb);
      if (!h) return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      const st = fs.stat(h.path);
      if (!st) throw errno('ENOENT', `${h.path}: no such file`);
      const a = toAttrs(st);
      if (h.kind === 'file') a.size = h.size;
      sftp.attrs(id, a);
    }),
  );

  const setstat = (id: number, path: string, attrs: Partial<Attributes>, h?: Extract<Handle, { kind: 'file' }>) => {
    if (!fs.stat(path)) throw errno('ENOENT', `${path}: no such file`);
    if (attrs.size !== undefined) {
      if (h) {
        if (attrs.size > h.data.length) {
          const grown = Buffer.alloc(attrs.size);
          h.data.copy(grown, 0, 0, h.size);
          h.data = grown;
        } else h.data.fill(0, attrs.size);
        h.size = attrs.size;
        h.dirty = true;
        flushFile(h);
      } else {
        truncate(path, attrs.size);
        hooks.changed?.('truncate', path);
      }
    }
    if (attrs.mode !== undefined) {
      fs.chmod(path, attrs.mode & 0o7777);
      if (h) h.mode = undefined;
      hooks.changed?.('chmod', path);
    }
    // NOTE: uid/gid/atime/mtime are accepted and ignored: everything in the lab belongs to root.
    ok(id);
  };
  sftp.on('SETSTAT', (id, path, attrs) => guard(id, () => setstat(id, abs(path), attrs ?? {})));
  sftp.on('FSETSTAT', (id, hb, attrs) =>
    guard(id, () => {
      const h = getHandle(hb);
      if (!h) return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      setstat(id, h.path, attrs ?? {}, h.kind === 'file' ? h : undefined);
    }),
  );

  const stat = (id: number, path: string) =>
    guard(id, () => {
      const st = fs.stat(abs(path));
      if (!st) return void sftp.status(id, STATUS_CODE.NO_SUCH_FILE, `${abs(path)}: no such file`);
      sftp.attrs(id, toAttrs(st));
    });
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);

  sftp.on('OPENDIR', (id, path) =>
    guard(id, () => {
      const p = abs(path);
      const st = fs.stat(p);
      if (!st) throw errno('ENOENT', `${p}: no such directory`);
      if (st.type !== 'dir') throw errno('ENOTDIR', `${p}: not a directory`);
      sftp.handle(id, newHandle({ kind: 'dir', path: p, entries: null }));
    }),
  );

  sftp.on('READDIR', (id, hb) =>
    guard(id, () => {
      const h = getHandle(hb);
      if (!h || h.kind !== 'dir') return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (h.entries === null) h.entries = ['.', '..', ...fs.readdir(h.path)];
      if (!h.entries.length) return void sftp.status(id, STATUS_CODE.EOF);
      const batch = h.entries.splice(0, 100);
      const names: FileEntry[] = [];
      for (const name of batch) {
        const st = fs.stat(name === '..' ? posix.dirname(h.path) : name === '.' ? h.path : posix.join(h.path, name));
        if (!st) continue; // NOTE: removed since the listing was taken.
        names.push({ filename: name, longname: longname(name, st), attrs: toAttrs(st) });
      }
      sftp.name(id, names);
    }),
  );

  sftp.on('MKDIR', (id, path, attrs) =>
    guard(id, () => {
      const p = abs(path);
      fs.mkdir(p, (attrs?.mode !== undefined ? attrs.mode & 0o7777 : 0o777) & ~LAB_UMASK);
      hooks.changed?.('mkdir', p);
      ok(id);
    }),
  );

  sftp.on('RMDIR', (id, path) =>
    guard(id, () => {
      const p = abs(path);
      fs.rmdir(p);
      hooks.changed?.('rmdir', p);
      ok(id);
    }),
  );

  sftp.on('REMOVE', (id, path) =>
    guard(id, () => {
      const p = abs(path);
      const st = fs.stat(p);
      if (st?.type === 'dir') throw errno('EISDIR', `${p}: is a directory`);
      fs.unlink(p);
      hooks.changed?.('remove', p);
      ok(id);
    }),
  );

  const rename = (id: number, from: string, to: string, replace: boolean) =>
    guard(id, () => {
      const a = abs(from);
      const b = abs(to);
      if (!fs.stat(a)) throw errno('ENOENT', `${a}: no such file`);
      if (!replace && fs.stat(b)) throw errno('EEXIST', `${b}: file exists`);
      fs.rename(a, b);
      hooks.changed?.('rename', a, b);
      ok(id);
    });
  sftp.on('RENAME', (id, from, to) => rename(id, from, to, false));

  sftp.on('EXTENDED', (id, name, data) => {
    if (!data) return void sftp.status(id, STATUS_CODE.BAD_MESSAGE, `${name}: no request data`);
    const str = (at: number): [Buffer, number] => {
      const len = data.readUInt32BE(at);
      if (at + 4 + len > data.length) throw new RangeError('string runs past the packet');
      return [data.subarray(at + 4, at + 4 + len), at + 4 + len];
    };
    let args: Buffer[];
    try {
      const [a, next] = str(0);
      args = name === 'posix-rename@openssh.com' ? [a, str(next)[0]] : [a];
    } catch {
      return void sftp.status(id, STATUS_CODE.BAD_MESSAGE, `malformed ${name} request`);
    }
    if (name === 'posix-rename@openssh.com')
      return rename(id, args[0].toString('utf8'), args[1].toString('utf8'), true);
    if (name === 'fsync@openssh.com') {
      return guard(id, () => {
        const h = getHandle(args[0]);
        if (!h || h.kind !== 'file') return void sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
        flushFile(h);
        ok(id);
      });
    }
    sftp.status(id, STATUS_CODE.OP_UNSUPPORTED, `${name} not supported`);
  });

  sftp.on('REALPATH', (id, path) =>
    guard(id, () => {
      const p = abs(path);
      let real = p;
      try {
        real = fs.realpath(p);
      } catch {
        // NOTE: sftp clients realpath names they are about to create; answer with the normalised path.
      }
      const st = fs.stat(real);
      sftp.name(id, [
        { filename: real, longname: st ? longname(real, st) : real, attrs: (st ? toAttrs(st) : {}) as Attributes },
      ]);
    }),
  );

  // NOTE: OpenSSH's sftp sends EOF and waits for the channel to close, as sftp-server exits on EOF.
  sftp.on('end', () => sftp.end());

  sftp.on('close', () => {
    // NOTE: a client that disconnects mid-upload leaves what it wrote, as sshd would.
    for (const h of handles.values()) {
      if (h.kind !== 'file') continue;
      try {
        flushFile(h);
      } catch {
        /* the file may be gone */
      }
    }
    handles.clear();
  });
}
