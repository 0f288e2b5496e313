/**
 * EL6 init-script conventions: the `action` status column ("[  OK  ]" at column 60), the chkconfig
 * header of a script, and the runlevel links under /etc/rc.d/rcN.d that chkconfig manages.
 */
import type { NodeFs } from '../fs/node-fs.js';

/** Where init scripts live (/etc/init.d is a symlink to it). */
export const INIT_D = '/etc/rc.d/init.d';

/** One line as `action "msg" cmd` prints it: the message, then [  OK  ] / [FAILED] at column 60. */
export function statusLine(msg: string, ok: boolean, extra = ''): string {
  const tag = ok ? '[  OK  ]' : '[FAILED]';
  const text = msg + extra;
  const nl = text.lastIndexOf('\n');
  const last = text.slice(nl + 1);
  return text.slice(0, nl + 1) + last.padEnd(59) + tag + '\n';
}

/** Parsed `# chkconfig: 2345 10 90` header. */
export interface ChkHeader {
  levels: string; // '' = none ('-')
  start: number;
  stop: number;
}

/** Read the chkconfig header of an init script; null when the script has none. */
export function readHeader(fs: NodeFs, name: string): ChkHeader | null {
  let text: string;
  try {
    text = fs.readText(`${INIT_D}/${name}`);
  } catch {
    return null;
  }
  const m = /^#\s*chkconfig:\s*(\S+)\s+(\d+)\s+(\d+)/m.exec(text);
  if (!m) return null;
  return { levels: m[1] === '-' ? '' : m[1], start: Number(m[2]), stop: Number(m[3]) };
}

const LEVELS = [0, 1, 2, 3, 4, 5, 6];
const rcDir = (l: number) => `/etc/rc.d/rc${l}.d`;

/** Per-runlevel state of a service from its links: true (S), false (K), undefined (no link). */
export function levelState(fs: NodeFs, name: string): (boolean | undefined)[] {
  return LEVELS.map((l) => {
    let names: string[] = [];
    try {
      names = fs.readdir(rcDir(l));
    } catch {
      return undefined;
    }
    const re = new RegExp(`^([SK])\\d\\d${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const hit = names.map((n) => re.exec(n)).find(Boolean);
    return hit ? hit[1] === 'S' : undefined;
  });
}

/** Rewrite a service's links: `on` levels get S<start>, the others K<stop>. */
export function setLinks(fs: NodeFs, name: string, on: Set<number>, h: ChkHeader): void {
  removeLinks(fs, name);
  for (const l of LEVELS) {
    fs.mkdirp(rcDir(l));
    const link = on.has(l)
      ? `S${String(h.start).padStart(2, '0')}${name}`
      : `K${String(h.stop).padStart(2, '0')}${name}`;
    fs.symlink(`../init.d/${name}`, `${rcDir(l)}/${link}`);
  }
}

/** Remove every runlevel link of a service. */
export function removeLinks(fs: NodeFs, name: string): void {
  const re = new RegExp(`^[SK]\\d\\d${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (const l of LEVELS) {
    let names: string[] = [];
    try {
      names = fs.readdir(rcDir(l));
    } catch {
      continue;
    }
    for (const n of names) if (re.test(n)) fs.unlink(`${rcDir(l)}/${n}`);
  }
}

/** Services to start in a runlevel, in link order (S08iptables before S10network ...). */
export function startOrder(fs: NodeFs, level: number): string[] {
  let names: string[] = [];
  try {
    names = fs.readdir(rcDir(level));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^S\d\d/.test(n))
    .sort()
    .map((n) => n.slice(3));
}

/** The text of a stub init script with a chkconfig header. */
export function initScript(
  name: string,
  h: { levels: string; start: number; stop: number },
  description: string,
): string {
  return [
    '#!/bin/sh',
    '#',
    `# ${name}\t${description}`,
    '#',
    `# chkconfig: ${h.levels || '-'} ${String(h.start).padStart(2, '0')} ${String(h.stop).padStart(2, '0')}`,
    `# description: ${description}`,
    '',
    '# Source function library.',
    '. /etc/rc.d/init.d/functions',
    '',
    'case "$1" in',
    '  start|stop|status|restart|reload|condrestart|try-restart|force-reload) ;;',
    `  *) echo $"Usage: $0 {start|stop|status|restart|condrestart|try-restart|reload|force-reload}"; exit 2 ;;`,
    'esac',
    '',
  ].join('\n');
}
