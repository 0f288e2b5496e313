/**
 * POSIX path helpers for the simulated filesystem (always '/'-separated, independent of the host OS).
 */

/** A doubled slash, a `.` or `..` component, or a trailing slash (after something). */
const ABNORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** Collapse `.`, `..` and repeated slashes of an absolute path. */
export function normalize(p: string): string {
  // NOTE: most paths reaching here are normal already; the filesystem normalizes on every lookup.
  if (p.startsWith('/') && !ABNORMAL.test(p)) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** Resolve `p` against the directory `cwd` (absolute result, normalized). */
export function resolvePath(cwd: string, p: string): string {
  return normalize(p.startsWith('/') ? p : `${cwd}/${p}`);
}

/** Directory part, like dirname(1). */
export function dirname(p: string): string {
  const s = p.replace(/\/+$/, '');
  if (s === '') return '/';
  const i = s.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return s.slice(0, i).replace(/\/+$/, '') || '/';
}

/** Last component, like basename(1). */
export function basename(p: string, suffix?: string): string {
  const s = p.replace(/\/+$/, '');
  if (s === '') return p.startsWith('/') ? '/' : '';
  let b = s.slice(s.lastIndexOf('/') + 1);
  if (suffix && b !== suffix && b.endsWith(suffix)) b = b.slice(0, -suffix.length);
  return b;
}
