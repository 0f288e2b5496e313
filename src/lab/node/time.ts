/**
 * Time formats the lab's commands print (the nodes run in UTC).
 */

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** syslog prefix: `Dec 13 14:03:19`. */
export function syslogTime(ms: number): string {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** date(1) default: `Sat Dec 10 16:06:21 UTC 2011`. */
export function dateString(ms: number): string {
  const d = new Date(ms);
  return `${DAY[d.getUTCDay()]} ${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** diff -u / stat timestamp: `2012-06-15 18:13:12.416646749 +0000`. */
export function fullTime(ms: number): string {
  const d = new Date(ms);
  const frac = String(Math.floor(ms % 1000)).padStart(3, '0') + '000000';
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${frac} +0000`;
}

/** ls -l time: `Jun 15 18:13` (or `Jun 15  2011` when older than six months). */
export function lsTime(ms: number, now: number): string {
  const d = new Date(ms);
  const recent = now - ms < 182 * 86400e3 && ms <= now + 3600e3;
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${recent ? `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}` : ' ' + d.getUTCFullYear()}`;
}

/** strftime subset for `date +FORMAT`. */
export function strftime(fmt: string, ms: number): string {
  const d = new Date(ms);
  const map: Record<string, () => string> = {
    Y: () => String(d.getUTCFullYear()),
    y: () => p2(d.getUTCFullYear() % 100),
    m: () => p2(d.getUTCMonth() + 1),
    d: () => p2(d.getUTCDate()),
    e: () => String(d.getUTCDate()).padStart(2),
    H: () => p2(d.getUTCHours()),
    M: () => p2(d.getUTCMinutes()),
    S: () => p2(d.getUTCSeconds()),
    s: () => String(Math.floor(ms / 1000)),
    N: () => String(Math.floor(ms % 1000)).padStart(3, '0') + '000000',
    b: () => MON[d.getUTCMonth()],
    h: () => MON[d.getUTCMonth()],
    a: () => DAY[d.getUTCDay()],
    Z: () => 'UTC',
    z: () => '+0000',
    F: () => `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`,
    T: () => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`,
    '%': () => '%',
    n: () => '\n',
  };
  return fmt.replace(/%(.)/g, (m, c: string) => (map[c] ? map[c]() : m));
}
