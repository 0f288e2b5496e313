/**
 * Parser of `cman_tool version`: one line, `6.2.0 config 10` (protocol version, then the
 * config_version of the cluster.conf the running cluster uses).
 */

/** The running cman protocol version and configuration version. */
export interface CmanVersion {
  version: string;
  config: number;
}

/** Parse `cman_tool version`; undefined when the output is not that line (e.g. cman not running). */
export function parseCmanVersion(text: string): CmanVersion | undefined {
  const m = /^\s*(\d+(?:\.\d+)*)\s+config\s+(\d+)\s*$/m.exec(text);
  return m ? { version: m[1], config: Number(m[2]) } : undefined;
}
