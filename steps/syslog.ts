/**
 * Watching a node's syslog the way the tutorial does with `tail -f -n 0 /var/log/messages`: mark
 * where the file ends before a test, then read what was written after the mark.
 */
import type { NodeHandle } from '../src/engine/types.js';

/** The syslog file the cluster daemons write to. */
export const MESSAGES = '/var/log/messages';

/** The number of lines in syslog now: later reads start after it. */
export async function markSyslog(node: NodeHandle): Promise<number> {
  const r = await node.exec(`wc -l < ${MESSAGES}`);
  const n = Number(r.stdout.trim());
  return r.code === 0 && Number.isFinite(n) ? n : 0;
}

/** The lines written to syslog after `mark`. */
export async function syslogSince(node: NodeHandle, mark: number): Promise<string[]> {
  const r = await node.exec(`tail -n +${mark + 1} ${MESSAGES}`);
  return r.code === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '') : [];
}

/**
 * Syslog lines holding `word`, rotated files first (logrotate's `messages-YYYYMMDD`, oldest first; EL6
 * does not compress them): a verify or a `check` weeks later still finds what a test logged.
 */
export async function syslogGrep(node: NodeHandle, word: string): Promise<string[]> {
  const r = await node.exec(`cat ${MESSAGES}-* ${MESSAGES} 2>/dev/null | grep -F '${word}'`);
  return r.code === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '') : [];
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Seconds since the start of the year of a syslog line (`Dec 13 12:42:41 ...`); undefined when the
 * line has no syslog time. Good for differences between lines of one log.
 */
export function syslogSeconds(line: string): number | undefined {
  const m = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /.exec(line);
  if (!m) return undefined;
  const mon = MON.indexOf(m[1]);
  if (mon < 0) return undefined;
  return Math.floor(Date.UTC(2000, mon, Number(m[2])) / 1000) + Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5]);
}
