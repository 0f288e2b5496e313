/**
 * Parser of `chkconfig --list [name]` (EL6 SysV runlevels), e.g. the tutorial's
 * `network        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off`.
 */

/** Runlevel -> on/off for each service listed. */
export type ChkconfigList = Map<string, Record<number, boolean>>;

/** Parse `chkconfig --list` output; xinetd sub-services (`name: on`) are skipped. */
export function parseChkconfig(text: string): ChkconfigList {
  const out: ChkconfigList = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+((?:\d:(?:on|off)\s*)+)$/.exec(line.trim());
    if (!m) continue;
    const levels: Record<number, boolean> = {};
    for (const lv of m[2].trim().split(/\s+/)) {
      const [n, v] = lv.split(':');
      levels[Number(n)] = v === 'on';
    }
    out.set(m[1], levels);
  }
  return out;
}

/** The runlevels a service is on in, as `2,3,4,5`; `''` when off everywhere; undefined when not listed. */
export function onLevels(list: ChkconfigList, service: string): string | undefined {
  const l = list.get(service);
  if (!l) return undefined;
  return Object.keys(l)
    .map(Number)
    .filter((k) => l[k])
    .sort()
    .join(',');
}

/** Whether a service starts in the multi-user runlevels 2-5 (what `chkconfig NAME on` sets). */
export function isOnAtBoot(list: ChkconfigList, service: string): boolean {
  const l = list.get(service);
  return !!l && [2, 3, 4, 5].every((k) => l[k] === true);
}

/** Whether a service is off in every runlevel (what `chkconfig NAME off` sets). */
export function isOffAtBoot(list: ChkconfigList, service: string): boolean {
  const l = list.get(service);
  return !!l && Object.values(l).every((v) => v === false);
}
