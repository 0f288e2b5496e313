/** Parser of `rpm -q NAME...`: which of the asked packages are not installed. */

/** Result of `rpm -q` for a list of names. */
export interface RpmQuery {
  /** name -> installed version string(s) (`cman-3.0.12.1-23.el6.x86_64`). */
  installed: Map<string, string[]>;
  /** Names rpm reported as `package NAME is not installed`. */
  missing: string[];
}

/**
 * Parse `rpm -q` output for `names`. An installed package prints its NVRA; a missing one
 * `package NAME is not installed`. NVRAs are matched to names by the longest name prefix.
 */
export function parseRpmQuery(text: string, names: readonly string[]): RpmQuery {
  const installed = new Map<string, string[]>();
  const missing: string[] = [];
  const byLength = [...names].sort((a, b) => b.length - a.length);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const miss = /^package (\S+) is not installed$/.exec(line);
    if (miss) {
      missing.push(miss[1]);
      continue;
    }
    // NOTE: the version part starts with a digit: "qemu-kvm-tools-0.12..." must not count for "qemu-kvm".
    const name = byLength.find((n) => line.startsWith(n + '-') && /^\d/.test(line.slice(n.length + 1)));
    if (name) installed.set(name, [...(installed.get(name) ?? []), line]);
  }
  return { installed, missing };
}
