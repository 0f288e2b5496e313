/**
 * The lab's per-node command journal: `<stateDir>/journal/<node>.jsonl`, one JSON line per command
 * run over SSH (`{"t": ISO time, "cmd": ..., "code": ...}`) and per file changed over SFTP
 * (`{"t", "sftp": "write" | "rename" | ..., "path", "to"?}`). Append-only; each line goes out in a
 * single `write(2)` before the client gets its reply, so a wizard killed mid-run leaves whole lines.
 * Secrets from the answers are masked.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../../plan/derive.js';
import { appendNoFollow } from '../../util/append-file.js';

/** One journal line. */
export type JournalEntry =
  { t: string; cmd: string; code: number } | { t: string; sftp: string; path: string; to?: string };

/** Path of a node's journal. */
export function journalPath(stateDir: string, node: string): string {
  return join(stateDir, 'journal', `${node}.jsonl`);
}

/** Appends journal lines for every node of one lab. */
export class LabJournal {
  private readonly dir: string;

  constructor(
    private readonly stateDir: string,
    private readonly secrets: string[] = [],
  ) {
    this.dir = join(stateDir, 'journal');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Record a command and its exit code. */
  command(node: string, cmd: string, code: number): void {
    this.append(node, { t: new Date().toISOString(), cmd: redact(cmd, this.secrets), code });
  }

  /** Record a file operation done over SFTP. */
  file(node: string, op: string, path: string, to?: string): void {
    const e: JournalEntry = { t: new Date().toISOString(), sftp: op, path: redact(path, this.secrets) };
    if (to !== undefined) e.to = redact(to, this.secrets);
    this.append(node, e);
  }

  private append(node: string, e: JournalEntry): void {
    // NOTE: O_APPEND and the line in one write: lines never interleave and a SIGKILL after this
    // returns cannot lose it (it is in the page cache). A symbolic link is not followed.
    appendNoFollow(journalPath(this.stateDir, node), `${JSON.stringify(e)}\n`);
  }
}

/** Read a node's journal (empty when none). Tolerates a torn last line. */
export function readJournal(stateDir: string, node: string): JournalEntry[] {
  const p = journalPath(stateDir, node);
  if (!existsSync(p)) return [];
  const out: JournalEntry[] = [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      /* torn line from a crash mid-write */
    }
  }
  return out;
}
