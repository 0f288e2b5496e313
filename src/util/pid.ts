/** Process helpers shared by the state lock and the lab's "is it still running" check. */
import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process has exited: no such pid, or a zombie nobody has reaped yet. */
export function processGone(pid: number): boolean {
  if (!pidAlive(pid)) return true;
  const st = procStat(pid)?.state;
  return st === 'Z' || st === 'X';
}

/** What `/proc/PID/stat` says of a process: its state letter and its start time. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), T... */
  state: string;
  /** Field 22: start time after boot, in clock ticks (text: it can exceed 2^53 on a long-lived host). */
  startTime: string;
}

/**
 * Fields 3 and 22 of `/proc/PID/stat` (proc(5)); undefined when the process is gone or there is no
 * /proc (not Linux). NOTE: field 2 (the command name) is in parentheses and may itself hold spaces
 * and ")", so the fields are counted from the last ")".
 */
export function procStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text
    .slice(text.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3, so field N is rest[N - 3].
  const state = rest[0];
  const startTime = rest[22 - 3];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/** This boot's id (`/proc/sys/kernel/random/boot_id`); undefined where there is none. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Who holds a lock: enough to tell, later, whether that very process still runs. */
export interface ProcessIdentity {
  pid: number;
  /** `/proc/PID/stat` field 22 when the lock was taken (absent: written by an older version, or no /proc). */
  startTime?: string;
  /** The boot id when the lock was taken. */
  bootId?: string;
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  const st = procStat(process.pid);
  const boot = bootId();
  return { pid: process.pid, ...(st ? { startTime: st.startTime } : {}), ...(boot ? { bootId: boot } : {}) };
}

/**
 * Why the process a lock names (on this host) no longer holds it, or undefined when it still runs:
 * it is gone, a zombie, another process that got the same pid (its start time differs), or the lock
 * was taken before this machine last booted (the boot id differs). NOTE: pids wrap (EL6's pid_max is
 * 32768) and a reboot hands the same low pids out again, so a live pid alone proves nothing.
 */
export function staleReason(held: ProcessIdentity): string | undefined {
  const now = bootId();
  if (held.bootId && now && held.bootId !== now)
    return `it was taken before this machine last booted (pid ${held.pid})`;
  if (!pidAlive(held.pid)) return `its process ${held.pid} is gone`;
  const st = procStat(held.pid);
  if (st && (st.state === 'Z' || st.state === 'X')) return `its process ${held.pid} has exited (a zombie)`;
  if (held.startTime && st && st.startTime !== held.startTime)
    return `pid ${held.pid} now belongs to another process (started at tick ${st.startTime}, not ${held.startTime})`;
  return undefined;
}
