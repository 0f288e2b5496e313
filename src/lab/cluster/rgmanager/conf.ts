/**
 * What rgmanager reads from cluster.conf: the cluster's name, version and nodes (name → nodeid), and
 * the `<rm>` section: `<script>` resources, failover domains (restricted, ordered, nofailback, node
 * priorities), `<service>` trees of `<script ref>` children and `<vm>` services. The reader is a small
 * tolerant XML tokenizer: `ccs_config_validate` and cman (the cluster subsystem) judge the file's
 * validity; rgmanager only needs the elements and attributes.
 */

/** The file rgmanager's configuration comes from (as pushed by `cman_tool version -r`). */
export const CLUSTER_CONF = '/etc/cluster/cluster.conf';

/** One element of the document. */
interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
}

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parse elements and attributes; comments, PIs and text are skipped. Throws on unbalanced tags. */
function parse(text: string): El {
  const root: El = { name: '#doc', attrs: {}, children: [] };
  const stack: El[] = [root];
  const re =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<\/\s*([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]) {
      const top = stack.pop();
      if (!top || top.name !== m[1] || !stack.length) throw new Error(`unbalanced </${m[1]}>`);
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of (m[3] ?? '').matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
        attrs[a[1]] = (a[2] ?? a[3] ?? '').replace(/&(\w+);/g, (x, e: string) => ENT[e] ?? x);
      const el: El = { name: m[2], attrs, children: [] };
      stack[stack.length - 1].children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> is not closed`);
  return root;
}

/** A failover domain. */
export interface Domain {
  name: string;
  restricted: boolean;
  ordered: boolean;
  nofailback: boolean;
  /** Member node names (as in cluster.conf) with their priority (1 = highest; 0 when unordered/unset). */
  nodes: { name: string; priority: number }[];
}

/** A resource group: `service:NAME` with a tree of script resources, or `vm:NAME`. */
export interface Group {
  /** Full name as clustat prints it: `service:storage_an01`, `vm:vm0001-dev`. */
  id: string;
  kind: 'service' | 'vm';
  name: string;
  autostart: boolean;
  domain?: string;
  exclusive: boolean;
  recovery: 'restart' | 'relocate' | 'disable';
  /** 0 = unlimited restarts in place. */
  maxRestarts: number;
  /** Seconds after which a restart is forgotten (0 = never). */
  restartExpire: number;
  /** service: the script resources in start order (depth first: parent before its children). */
  scripts: { name: string; file: string }[];
  /** vm: where the definition `<name>.xml` lives. */
  path?: string;
}

/** rgmanager's configuration. */
export interface RmConf {
  cluster: string;
  version: number;
  /** Cluster node names → node ids. */
  nodes: { name: string; nodeid: number }[];
  domains: Domain[];
  /** Groups in configuration order. */
  groups: Group[];
}

const bool = (v: string | undefined, dflt: boolean) =>
  v === undefined ? dflt : v === '1' || v.toLowerCase() === 'yes' || v.toLowerCase() === 'true';
const num = (v: string | undefined, dflt: number) => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : dflt);

/** Read the cluster.conf text; throws an Error naming what is wrong when it cannot be read. */
export function parseRmConf(text: string): RmConf {
  const doc = parse(text);
  const cl = doc.children.find((e) => e.name === 'cluster');
  if (!cl) throw new Error('no <cluster> element');
  const nodes = (cl.children.find((e) => e.name === 'clusternodes')?.children ?? [])
    .filter((e) => e.name === 'clusternode')
    .map((e, i) => ({ name: e.attrs.name ?? '', nodeid: num(e.attrs.nodeid, i + 1) }));
  const rm = cl.children.find((e) => e.name === 'rm');
  const scripts = new Map<string, string>();
  for (const r of rm?.children.find((e) => e.name === 'resources')?.children ?? [])
    if (r.name === 'script' && r.attrs.name) scripts.set(r.attrs.name, r.attrs.file ?? `/etc/init.d/${r.attrs.name}`);
  const domains: Domain[] = (rm?.children.find((e) => e.name === 'failoverdomains')?.children ?? [])
    .filter((e) => e.name === 'failoverdomain')
    .map((d) => ({
      name: d.attrs.name ?? '',
      restricted: bool(d.attrs.restricted, false),
      ordered: bool(d.attrs.ordered, false),
      nofailback: bool(d.attrs.nofailback, false),
      nodes: d.children
        .filter((n) => n.name === 'failoverdomainnode')
        .map((n) => ({ name: n.attrs.name ?? '', priority: num(n.attrs.priority, 0) })),
    }));
  const groups: Group[] = [];
  for (const g of rm?.children ?? []) {
    if (g.name !== 'service' && g.name !== 'vm') continue;
    const kind = g.name;
    const name = g.attrs.name ?? '';
    const rec = (g.attrs.recovery ?? 'restart').toLowerCase();
    const tree: { name: string; file: string }[] = [];
    const walk = (e: El) => {
      for (const c of e.children) {
        if (c.name !== 'script') continue;
        const ref = c.attrs.ref ?? c.attrs.name ?? '';
        tree.push({ name: ref, file: c.attrs.file ?? scripts.get(ref) ?? `/etc/init.d/${ref}` });
        walk(c);
      }
    };
    walk(g);
    groups.push({
      id: `${kind}:${name}`,
      kind,
      name,
      // NOTE: rgmanager's default is autostart="1" for both services and vms.
      autostart: bool(g.attrs.autostart, true),
      ...(g.attrs.domain ? { domain: g.attrs.domain } : {}),
      exclusive: bool(g.attrs.exclusive, false),
      recovery: rec === 'relocate' || rec === 'disable' ? rec : 'restart',
      maxRestarts: num(g.attrs.max_restarts, 0),
      restartExpire: num(g.attrs.restart_expire_time, 0),
      scripts: tree,
      // NOTE: no `path`: vm.sh starts the guest by name (`virsh start`), from this node's own definition.
      ...(kind === 'vm' && g.attrs.path !== undefined ? { path: g.attrs.path } : {}),
    });
  }
  return { cluster: cl.attrs.name ?? '', version: num(cl.attrs.config_version, 0), nodes, domains, groups };
}

/** The configured version of a cluster.conf text (undefined when it has none). */
export function confVersion(text: string): number | undefined {
  const m = /<cluster\b[^>]*\bconfig_version\s*=\s*["'](\d+)["']/.exec(text);
  return m ? Number(m[1]) : undefined;
}
