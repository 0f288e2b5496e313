/**
 * The state folder: `state.json` (the checkpoint, written atomically), `journal.jsonl` (see
 * journal.ts) and `lock` (one run per folder). Nothing here knows what a task does.
 */
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { AnvilError } from '../errors.js';
import { STATE_SCHEMA_VERSION, type StateFile, type TaskRecord } from './types.js';
import { selfIdentity, staleReason, type ProcessIdentity } from '../util/pid.js';
import { warn } from '../output.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { perf } from '../util/perf.js';
import { performance } from 'node:perf_hooks';
import { loadSecretKey } from './secret-key.js';
import { describeIoError, ioHint } from '../util/append-file.js';

/** File names inside a state folder. */
export const STATE_FILE = 'state.json';
export const JOURNAL_FILE = 'journal.jsonl';
export const LOCK_FILE = 'lock';

/** The default state folder (relative to the working directory). */
export const DEFAULT_STATE_DIR = '.anvil';

/** A fresh, empty state. */
export function newState(now: Date = new Date()): StateFile {
  const t = now.toISOString();
  return { schemaVersion: STATE_SCHEMA_VERSION, createdAt: t, updatedAt: t, tasks: {}, captured: {} };
}

/** Read and check `DIR/state.json`; null when the folder has none. Throws `AnvilError` on a bad or foreign file. */
export function readState(dir: string): StateFile | null {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new AnvilError(
      `cannot read ${file}: ${code ?? String(e)}${code === 'EISDIR' ? ' (it is a folder)' : ''}`,
      code === 'EISDIR'
        ? `move the folder ${file} aside: the checkpoint is a file`
        : 'make it readable by you, or pass --state with another folder',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // NOTE: writes are atomic (rename), so a truncated file means someone edited it by hand.
    throw new AnvilError(
      `${file} is not valid JSON`,
      'restore it from a backup, or start over with a fresh --state folder',
    );
  }
  const s = raw as Partial<StateFile> | null;
  if (!s || typeof s !== 'object' || typeof s.schemaVersion !== 'number')
    throw new AnvilError(
      `${file} is not an anvil-install state file (no schemaVersion)`,
      'pass --state with the folder an install created',
    );
  if (s.schemaVersion > STATE_SCHEMA_VERSION)
    throw new AnvilError(
      `${file} was written by a newer anvil-install (state schema ${s.schemaVersion}; this version reads ${STATE_SCHEMA_VERSION})`,
      'run the newer anvil-install that created it',
    );
  if (s.schemaVersion < STATE_SCHEMA_VERSION)
    throw new AnvilError(
      `${file} uses state schema ${s.schemaVersion}, which this version cannot migrate (it reads ${STATE_SCHEMA_VERSION})`,
      'finish the install with the anvil-install version that started it',
    );
  if (!s.tasks || typeof s.tasks !== 'object' || !s.captured || typeof s.captured !== 'object')
    throw new AnvilError(
      `${file} is damaged: "tasks" or "captured" is missing`,
      'restore it from a backup, or start over with a fresh --state folder',
    );
  const bad = shapeProblem(s);
  if (bad)
    throw new AnvilError(
      `${file} is damaged: ${bad}`,
      'restore it from a backup, or start over with a fresh --state folder (nothing was changed)',
    );
  return s as StateFile;
}

const STATUSES = new Set(['pending', 'running', 'done', 'failed', 'skipped']);
const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The first place where a state file's shape is wrong (`tasks.x.node1.status: "fine" is not a
 * status`), or undefined. NOTE: a wrong shape is refused, never dropped: a record silently lost
 * would run a destructive task again.
 */
export function shapeProblem(s: Partial<StateFile>): string | undefined {
  if (!isRecord(s.tasks))
    return '"tasks" must be a map of task ids, not ' + (Array.isArray(s.tasks) ? 'a list' : typeof s.tasks);
  if (!isRecord(s.captured))
    return '"captured" must be a map, not ' + (Array.isArray(s.captured) ? 'a list' : typeof s.captured);
  if (s.captureSeq !== undefined && (typeof s.captureSeq !== 'number' || !Number.isInteger(s.captureSeq)))
    return '"captureSeq" must be a whole number';
  if (
    s.capturedHistory !== undefined &&
    (!isRecord(s.capturedHistory) ||
      !Object.values(s.capturedHistory).every(
        (vs) => Array.isArray(vs) && vs.every((v) => isRecord(v) && typeof v.seq === 'number'),
      ))
  )
    return '"capturedHistory" must be a map of lists of { seq, value }';
  for (const k of ['answersFile', 'answersHash', 'createdAt', 'updatedAt', 'secretKeyId'] as const)
    if (s[k] !== undefined && typeof s[k] !== 'string') return `"${k}" must be text`;
  if (s.nodes !== undefined && (!Array.isArray(s.nodes) || !s.nodes.every((n) => typeof n === 'string')))
    return '"nodes" must be a list of node names';
  if (
    s.executableSteps !== undefined &&
    (!Array.isArray(s.executableSteps) || !s.executableSteps.every((n) => typeof n === 'string'))
  )
    return '"executableSteps" must be a list of step ids';
  if (s.lab !== undefined && (!isRecord(s.lab) || typeof s.lab.stateDir !== 'string' || !isRecord(s.lab.ports)))
    return '"lab" must be { stateDir, ports }';
  for (const [id, byNode] of Object.entries(s.tasks)) {
    if (!isRecord(byNode))
      return `tasks.${id} must be a map of node names to records, not ${Array.isArray(byNode) ? 'a list' : JSON.stringify(byNode)}`;
    for (const [node, rec] of Object.entries(byNode)) {
      const at = `tasks.${id}.${node}`;
      if (!isRecord(rec)) return `${at} must be a record, not ${Array.isArray(rec) ? 'a list' : JSON.stringify(rec)}`;
      if (typeof rec.status !== 'string' || !STATUSES.has(rec.status))
        return `${at}.status: ${JSON.stringify(rec.status)} is not one of ${[...STATUSES].join(', ')}`;
      for (const k of ['inputHash', 'startedAt', 'finishedAt', 'error', 'note'])
        if (rec[k] !== undefined && typeof rec[k] !== 'string') return `${at}.${k} must be text`;
      if (
        rec.capturedSeq !== undefined &&
        (typeof rec.capturedSeq !== 'number' || !Number.isInteger(rec.capturedSeq) || rec.capturedSeq < 0)
      )
        return `${at}.capturedSeq must be a whole number`;
      if (rec.runs !== undefined && (typeof rec.runs !== 'number' || !Number.isInteger(rec.runs) || rec.runs < 0))
        return `${at}.runs must be a whole number`;
      if (rec.live !== undefined && typeof rec.live !== 'boolean') return `${at}.live must be true or false`;
      if (rec.awaitingOperator !== undefined && typeof rec.awaitingOperator !== 'boolean')
        return `${at}.awaitingOperator must be true or false`;
      if (rec.evidence !== undefined && (!isRecord(rec.evidence) || typeof rec.evidence.summary !== 'string'))
        return `${at}.evidence must be { summary, details? }`;
      if (
        rec.secretHashes !== undefined &&
        (!isRecord(rec.secretHashes) || !Object.values(rec.secretHashes).every((v) => typeof v === 'string'))
      )
        return `${at}.secretHashes must be a map of text`;
    }
  }
  return undefined;
}

/** Write `DIR/state.json` atomically: temp file, fsync, rename, fsync of the folder. */
export function writeStateAtomic(dir: string, state: StateFile): void {
  const file = join(dir, STATE_FILE);
  const t0 = performance.now();
  try {
    writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n', 0o600);
    perf.stateWrites++;
    perf.stateWriteMs += performance.now() - t0;
  } catch (e) {
    // NOTE: the previous checkpoint is intact (the write goes to a temp file first).
    throw new AnvilError(`cannot write the checkpoint ${file}: ${describeIoError(e)}; the run stops here`, ioHint(e));
  }
}

/**
 * Refuse a state folder others can write to (they could plant a journal link or edit the
 * checkpoint), or one that is a link or not a folder.
 */
export function checkFolder(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return checkFolder(resolveLink(dir));
  if (!st.isDirectory())
    throw new AnvilError(`${dir} is not a folder`, 'pass --state with a folder (it is created when absent)');
  if (st.mode & 0o022)
    throw new AnvilError(
      `state folder ${dir} is writable by ${st.mode & 0o002 ? 'every user' : 'its group'} (mode ${(st.mode & 0o777).toString(8)}); refusing to trust its checkpoint`,
      `chmod 700 ${dir}`,
    );
}

function resolveLink(p: string): string {
  // NOTE: a state folder given as a link (e.g. ~/anvil -> /srv/anvil) is fine; its target is checked.
  return realpathSync(p);
}

/** Someone else holds a lock (a live process, or one on another host). */
export class LockHeld extends AnvilError {
  constructor(
    message: string,
    hint: string,
    public readonly pid?: number,
  ) {
    super(message, hint);
  }
}

/** What the lock file holds: who took it, where, when, and enough to tell that process from a later one. */
interface LockInfo extends ProcessIdentity {
  host: string;
  since: string;
}

/**
 * Take `DIR/lock` (exclusive create). A lock on this host whose process is gone, a zombie, another
 * process that got the same pid, or from before a reboot is stale: it is taken over and `note` says
 * so. A live one (or one from another host) is refused with who holds it.
 */
export function acquireLock(
  dir: string,
  o: { file?: string; what?: string; hint?: string; note?: (line: string) => void } = {},
): () => void {
  const file = join(dir, o.file ?? LOCK_FILE);
  const mine: LockInfo = { ...selfIdentity(), host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(mine) + '\n');
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          const cur = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
          if (cur.pid === mine.pid && cur.host === mine.host) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isFile())
      throw new AnvilError(
        `${file} is ${st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}, not a lock file`,
        `remove it (rm -r ${file}); anvil-install writes its lock there`,
      );
    const held = readLock(file);
    const why = held && held.host === mine.host ? staleReason(held) : undefined;
    if (held && why) {
      try {
        unlinkSync(file);
      } catch (e) {
        // NOTE: another run took it over first; the next attempt sees that run's lock.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      (o.note ?? ((l: string) => warn(l)))(`note: took over the stale lock ${file} (held since ${held.since}): ${why}`);
      continue;
    }
    throw new LockHeld(
      `${o.what ?? `state folder ${dir}`} is in use by another anvil-install${held ? ` (pid ${held.pid} on ${held.host}, since ${held.since})` : ''}`,
      o.hint ?? `wait for that run to finish; if no such process exists, delete ${file}`,
      held?.pid,
    );
  }
  throw new AnvilError(`cannot take the lock ${file}: other runs keep taking it`, 'run one anvil-install at a time');
}

/** The lock file's contents; undefined when it is unreadable or not a lock (refused as held, never removed). */
function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo> | null;
    if (!v || typeof v !== 'object' || !Number.isInteger(v.pid) || typeof v.host !== 'string') return undefined;
    return {
      pid: v.pid!,
      host: v.host,
      since: String(v.since ?? '?'),
      ...(typeof v.startTime === 'string' ? { startTime: v.startTime } : {}),
      ...(typeof v.bootId === 'string' ? { bootId: v.bootId } : {}),
    };
  } catch {
    return undefined;
  }
}

/** An open state folder: the loaded state, its lock, and atomic saves. */
export class StateStore {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** The live state; mutate it, then `save()`. */
  readonly state: StateFile;
  private frozen = false;
  private constructor(
    dir: string,
    state: StateFile,
    private readonly unlock: () => void,
  ) {
    this.dir = dir;
    this.state = state;
  }

  /**
   * Open (and lock) a state folder. `create`: make the folder and a fresh state when there is none;
   * otherwise a missing state is an error naming the folder.
   */
  static open(dir: string, opts: { create?: boolean } = {}): StateStore {
    const abs = resolve(dir);
    if (!existsSync(abs)) {
      if (!opts.create)
        throw new AnvilError(
          `no state folder at ${abs}`,
          'start with `anvil-install install --answers FILE` (or pass --state DIR)',
        );
      mkdirSync(abs, { recursive: true, mode: 0o700 });
    }
    checkFolder(abs);
    const unlock = acquireLock(abs);
    try {
      let state = readState(abs);
      if (!state) {
        if (!opts.create)
          throw new AnvilError(
            `${abs} holds no ${STATE_FILE}`,
            'start with `anvil-install install --answers FILE --state DIR`',
          );
        state = newState();
        writeStateAtomic(abs, state);
      }
      return new StateStore(abs, state, unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  }

  private key?: Buffer;

  /** The folder's `secret.key` (made on first use): keys the digests of applied secrets. */
  secretKey(): Buffer {
    return (this.key ??= loadSecretKey(this.dir));
  }

  /** Path of the journal in this folder. */
  get journalFile(): string {
    return join(this.dir, JOURNAL_FILE);
  }

  /** The record of a task on a node, created as `pending` when absent. */
  record(taskId: string, node: string): TaskRecord {
    const byNode = (this.state.tasks[taskId] ??= {});
    return (byNode[node] ??= { status: 'pending' });
  }

  /** The record of a task on a node, if any. */
  peek(taskId: string, node: string): TaskRecord | undefined {
    return this.state.tasks[taskId]?.[node];
  }

  /**
   * Checkpoint. Each write is atomic and durable (temp, fsync, rename), but writes are coalesced to
   * at most one per `minIntervalMs`; `urgent` writes at once.
   *
   * NOTE: coalescing is safe because the runner saves `urgent` before any task touches a node: a
   * completion that did not reach the disk is one nothing has gone on from yet, so resume's verify (or a
   * `once` task's `done` probe) still sees it. It also flushes at the end.
   */
  save(urgent = false): void {
    if (this.failed) throw this.failed;
    if (this.frozen) return;
    this.state.updatedAt = new Date().toISOString();
    const wait = this.lastWrite + this.minIntervalMs - Date.now();
    if (urgent || wait <= 0) return this.flush(true);
    this.dirty = true;
    // NOTE: a write that fails in the timer is kept and thrown by the next save or flush (a throw
    // from a timer would crash the process without a message).
    this.timer ??= setTimeout(() => {
      try {
        this.flush();
      } catch (e) {
        this.failed = e as AnvilError;
      }
    }, wait);
    this.timer.unref?.();
  }

  /** Write now if anything is pending (or `force`). */
  flush(force = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failed) throw this.failed;
    if (this.frozen || (!this.dirty && !force)) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    try {
      writeStateAtomic(this.dir, this.state);
    } catch (e) {
      this.failed = e as AnvilError;
      throw e;
    }
  }

  /** The checkpoint write that failed, if one did (every later save throws it). */
  private failed: AnvilError | undefined;

  /** Minimum milliseconds between two checkpoint writes (0 = write on every save). */
  minIntervalMs = 100;
  private dirty = false;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Stop writing: after an interrupt the checkpoint on disk is final, whatever work still unwinds
   * in the background.
   */
  freeze(): void {
    try {
      this.flush();
    } catch {
      // NOTE: the write failure was (or is about to be) reported by the run; an interrupt must not throw.
    }
    this.frozen = true;
  }

  /** Write what is pending and release the lock. */
  close(): void {
    // NOTE: the lock is released even when the last write fails (disk full): the next run may go on.
    try {
      if (!this.failed) this.flush();
    } finally {
      this.unlock();
    }
  }
}
