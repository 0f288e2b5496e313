/**
 * `journal.jsonl`: one JSON line per remote action (command run, file written), appended as it
 * happens so a crash loses nothing before it. Secrets are redacted and output is truncated before a
 * line is written; stdin is never journaled.
 */
import { redact } from '../plan/derive.js';
import { appendNoFollow } from '../util/append-file.js';

/** Longest stdout/stderr kept per command: the head and (mostly) the tail, where errors are. */
export const OUTPUT_LIMIT = { head: 1024, tail: 3072 };

/** One journal line. */
export interface JournalEntry {
  /** ISO time the action finished. */
  at: string;
  /** Node name. */
  node: string;
  /** Task id the action belongs to, when run by a task. */
  task?: string;
  /**
   * `write-start`: a file write is about to begin (on disk before its temporary copy is uploaded, so
   * a resume after a kill can find and remove that copy); `write`: the write finished.
   */
  kind: 'exec' | 'write' | 'write-start';
  /** exec: the command line (redacted). */
  cmd?: string;
  code?: number | null;
  signal?: string;
  /** Milliseconds. */
  ms?: number;
  stdout?: string;
  stderr?: string;
  /** The transport failed (timeout, connection lost). */
  error?: string;
  /** write: path, backup location and size. */
  path?: string;
  backup?: string;
  bytes?: number;
}

/** Keep the head and tail of long output, saying how much was dropped. */
export function truncateOutput(s: string, limit = OUTPUT_LIMIT): string {
  if (s.length <= limit.head + limit.tail) return s;
  const dropped = s.length - limit.head - limit.tail;
  return `${s.slice(0, limit.head)}\n…[${dropped} characters omitted]…\n${s.slice(s.length - limit.tail)}`;
}

/** Appends redacted entries to a journal file. */
export class Journal {
  /** @param secrets every secret value (`secretValues(answers)`), masked wherever it appears. */
  constructor(
    readonly file: string,
    private readonly secrets: string[],
  ) {}

  /** Mask the secrets in a string. */
  redact(s: string): string {
    return redact(s, this.secrets);
  }

  /** Append one entry (string fields redacted, outputs truncated). */
  append(entry: Omit<JournalEntry, 'at'> & { at?: string }): void {
    const e: JournalEntry = { at: entry.at ?? new Date().toISOString(), ...entry };
    for (const k of ['cmd', 'error', 'path', 'backup', 'task', 'node'] as const)
      if (typeof e[k] === 'string') e[k] = this.redact(e[k]);
    // NOTE: redact before truncating, so a secret cut at the boundary is never left half visible.
    for (const k of ['stdout', 'stderr'] as const)
      if (typeof e[k] === 'string') e[k] = truncateOutput(this.redact(e[k]));
    appendNoFollow(this.file, JSON.stringify(e) + '\n');
  }
}

/** Parse a journal file's text (for resume, status and tests); a torn line (a kill mid-write) is left out. */
export function parseJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      out.push(JSON.parse(l) as JournalEntry);
    } catch {
      // NOTE: only the last line can be torn; nothing of it can be trusted.
    }
  }
  return out;
}
