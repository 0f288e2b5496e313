/**
 * Parser of `cman_tool status` (cman 3, EL6), as the tutorial shows it after the first start:
 * `Version: 6.2.0`, `Config Version: 7`, `Cluster Name: an-cluster-A`, ..., `Flags: 2node`.
 */

/** What `cman_tool status` reports, typed; `raw` keeps every `Key: value` line as printed. */
export interface CmanStatus {
  version?: string;
  configVersion?: number;
  clusterName?: string;
  clusterId?: number;
  clusterMember?: boolean;
  generation?: number;
  /** e.g. `Cluster-Member`. */
  membershipState?: string;
  nodes?: number;
  expectedVotes?: number;
  totalVotes?: number;
  nodeVotes?: number;
  quorum?: number;
  activeSubsystems?: number;
  /** e.g. `['2node']`; `Quorate`, `Dirty`... when present. */
  flags: string[];
  portsBound: number[];
  nodeName?: string;
  nodeId?: number;
  multicastAddresses: string[];
  nodeAddresses: string[];
  raw: Record<string, string>;
}

const num = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const m = /^-?\d+/.exec(s.trim());
  return m ? Number(m[0]) : undefined;
};
const words = (s: string | undefined): string[] => (s ?? '').trim().split(/\s+/).filter(Boolean);

/** Parse the output of `cman_tool status`. Unknown lines are kept in `raw` only. */
export function parseCmanStatus(text: string): CmanStatus {
  const raw: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(line.trimEnd());
    if (m) raw[m[1].trim()] = m[2].trim();
  }
  return {
    version: raw['Version'],
    configVersion: num(raw['Config Version']),
    clusterName: raw['Cluster Name'],
    clusterId: num(raw['Cluster Id']),
    clusterMember: raw['Cluster Member'] === undefined ? undefined : raw['Cluster Member'] === 'Yes',
    generation: num(raw['Cluster Generation']),
    membershipState: raw['Membership state'],
    nodes: num(raw['Nodes']),
    expectedVotes: num(raw['Expected votes']),
    totalVotes: num(raw['Total votes']),
    nodeVotes: num(raw['Node votes']),
    quorum: num(raw['Quorum']),
    activeSubsystems: num(raw['Active subsystems']),
    // NOTE: the flags line is space separated ("2node Quorate"); older builds use commas.
    flags: words(raw['Flags']?.replace(/,/g, ' ')),
    portsBound: words(raw['Ports Bound'])
      .map(Number)
      .filter((n) => !Number.isNaN(n)),
    nodeName: raw['Node name'],
    nodeId: num(raw['Node ID']),
    multicastAddresses: words(raw['Multicast addresses']),
    nodeAddresses: words(raw['Node addresses']),
    raw,
  };
}

/** What a healthy two-node member must show; each problem as a short phrase (empty = healthy). */
export function cmanProblems(
  s: CmanStatus,
  want: { clusterName: string; nodeName?: string; minConfigVersion?: number },
): string[] {
  const out: string[] = [];
  if (s.clusterName !== want.clusterName)
    out.push(`Cluster Name ${s.clusterName ?? '(none)'} (want ${want.clusterName})`);
  if (want.nodeName && s.nodeName !== want.nodeName)
    out.push(`Node name ${s.nodeName ?? '(none)'} (want ${want.nodeName})`);
  if (s.membershipState !== 'Cluster-Member') out.push(`Membership state ${s.membershipState ?? '(none)'}`);
  if (s.nodes !== 2) out.push(`Nodes: ${s.nodes ?? '(none)'} (want 2)`);
  if (!s.flags.includes('2node')) out.push(`Flags: ${s.flags.join(' ') || '(none)'} (want 2node)`);
  if (want.minConfigVersion !== undefined && (s.configVersion ?? -1) < want.minConfigVersion)
    out.push(`Config Version ${s.configVersion ?? '(none)'} (want >= ${want.minConfigVersion})`);
  return out;
}
