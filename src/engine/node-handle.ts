/**
 * `NodeHandle` over a `Transport`: what steps use to touch a node. Every command and file write
 * is journaled (redacted); `sh` turns a non-zero exit into `CommandFailed`.
 */
import { basename } from 'node:path';
import type { ExecOptions, ExecResult, FileSpec, NodeHandle } from './types.js';
import type { PlanNode } from '../plan/derive.js';
import type { Transport } from '../remote/types.js';
import type { Journal } from '../state/journal.js';
import { redact } from '../plan/derive.js';
import { CommandFailed } from '../errors.js';

/** Folder the tutorial keeps original files in. */
export const ROOT_BACKUPS = '/root/backups';

/** Where the original of `path` is copied before it is replaced, per `FileSpec.backup`. */
export function backupTarget(path: string, backup: FileSpec['backup'] = 'none'): string | undefined {
  switch (backup) {
    case 'root-backups':
      return `${ROOT_BACKUPS}/${basename(path)}`;
    default:
      // NOTE: 'orig', and 'none' too: a file the tutorial creates may still exist on the node (an
      // operator's own, an earlier attempt); nothing is overwritten without keeping it. The transport
      // copies only when the file exists and no backup does yet.
      return `${path}.orig`;
  }
}

/** What a node handle needs. */
export interface NodeHandleOptions {
  plan: PlanNode;
  transport: Transport;
  /** Journal to append to (absent: nothing journaled). */
  journal?: Journal;
  /** Task id the actions belong to (journal). */
  task?: string;
  /** Secret values masked in error messages. */
  secrets: string[];
  /** Per-command timeout when the caller gives none. */
  timeoutMs?: number;
  /** Sees every command, stdin and file content sent to the node (the runner notes which secrets a task applied). */
  scan?: (text: string) => void;
}

// NOTE: per connection, so `mkdir -p /root/backups` runs once per node and run, not once per file.
const backupsReady = new WeakSet<Transport>();

/** Build a NodeHandle for one node (cheap: make one per task run so the journal names the task). */
export function createNodeHandle(o: NodeHandleOptions): NodeHandle {
  const { transport, journal } = o;
  const name = o.plan.name;
  const handle: NodeHandle = {
    plan: o.plan,
    async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
      const started = Date.now();
      o.scan?.(cmd);
      if (opts.stdin) o.scan?.(opts.stdin);
      try {
        const r = await transport.exec(cmd, { timeoutMs: opts.timeoutMs ?? o.timeoutMs, stdin: opts.stdin });
        journal?.append({
          node: name,
          task: o.task,
          kind: 'exec',
          cmd,
          code: r.code,
          signal: r.signal,
          ms: r.ms,
          stdout: r.stdout,
          stderr: r.stderr,
        });
        return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms };
      } catch (e) {
        journal?.append({
          node: name,
          task: o.task,
          kind: 'exec',
          cmd,
          ms: Date.now() - started,
          error: (e as Error).message ?? String(e),
        });
        throw e;
      }
    },
    async sh(cmd: string, opts?: ExecOptions): Promise<string> {
      const r = await handle.exec(cmd, opts);
      if (r.code !== 0)
        throw new CommandFailed(name, redact(cmd, o.secrets), r.code, redact(r.stderr || r.stdout, o.secrets));
      return r.stdout;
    },
    async readFile(path: string): Promise<string | null> {
      const b = await transport.readFile(path);
      return b === null ? null : b.toString('utf8');
    },
    async writeFile(path, content, opts = {}): Promise<void> {
      const backupTo = backupTarget(path, opts.backup);
      o.scan?.(content);
      if (backupTo?.startsWith(`${ROOT_BACKUPS}/`) && !backupsReady.has(transport)) {
        await handle.sh(`mkdir -p ${ROOT_BACKUPS}`);
        backupsReady.add(transport);
      }
      // NOTE: before the upload: a kill between the upload and the rename leaves a temporary copy
      // that the next run finds through this line (leftovers.ts), whichever code wrote the file.
      journal?.append({ node: name, task: o.task, kind: 'write-start', path, backup: backupTo });
      await transport.writeFile(path, content, { mode: opts.mode ?? 0o644, backupTo });
      journal?.append({
        node: name,
        task: o.task,
        kind: 'write',
        path,
        backup: backupTo,
        bytes: Buffer.byteLength(content),
      });
    },
    waitForReconnect: (timeoutMs?: number) => transport.reconnect(timeoutMs),
  };
  return handle;
}
