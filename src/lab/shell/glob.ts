/**
 * Shell patterns (`*`, `?`, `[...]`, backslash escapes) and pathname expansion over a node's fs.
 */

/** Translate a shell pattern into a RegExp (anchored at both ends when `anchored`). */
export function globToRegExp(pat: string, anchored = true): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i];
    if (c === '\\') {
      re += (pat[i + 1] ?? '\\').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pat.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pat.slice(i + 1, end);
      if (body.startsWith('!') || body.startsWith('^')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${re}$` : re, 's');
}

/** Whether a pattern has an unescaped glob character. */
export function hasGlob(pat: string): boolean {
  for (let i = 0; i < pat.length; i++) {
    if (pat[i] === '\\') i++;
    else if ('*?['.includes(pat[i])) return true;
  }
  return false;
}

const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

/** Minimal directory access for globbing. */
export interface GlobFs {
  isDir(path: string): boolean;
  readdir(path: string): string[];
  exists(path: string): boolean;
}

/** Expand a pattern (relative to `cwd`) to the sorted list of matching paths, as bash prints them. */
export function globPaths(pattern: string, cwd: string, fs: GlobFs): string[] {
  const abs = pattern.startsWith('/');
  const comps = pattern.split('/').filter((c, i) => c !== '' || i === 0);
  let cands: string[] = [abs ? '/' : ''];
  for (let i = abs ? 1 : 0; i < comps.length; i++) {
    const comp = comps[i];
    const next: string[] = [];
    for (const base of cands) {
      const dirAbs = base === '' ? cwd : base.startsWith('/') ? base : `${cwd}/${base}`;
      if (!hasGlob(comp)) {
        const p = base === '' ? unescape(comp) : base === '/' ? '/' + unescape(comp) : `${base}/${unescape(comp)}`;
        next.push(p);
        continue;
      }
      if (!fs.isDir(dirAbs)) continue;
      const re = globToRegExp(comp);
      for (const name of fs.readdir(dirAbs)) {
        if (name.startsWith('.') && !comp.startsWith('.')) continue;
        if (re.test(name)) next.push(base === '' ? name : base === '/' ? '/' + name : `${base}/${name}`);
      }
    }
    cands = next;
  }
  return cands.filter((c) => c !== '' && fs.exists(c.startsWith('/') ? c : `${cwd}/${c}`)).sort();
}
