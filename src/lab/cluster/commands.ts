/**
 * The cluster's programs and init scripts: `/etc/init.d/cman` (tutorial 1407-1419, 4255-4263),
 * `cman_tool status|nodes|version [-r]` (1457-1475, 3093-3097), `ccs_config_validate` (1379),
 * `fence_node`, modclusterd's start line (1398-1399), and a clean cluster leave when the node is shut
 * down or rebooted by command (the K scripts stop cman before the power goes).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { type ActionResult, type ServiceDef } from '../node/services.js';
import { statusLine, levelState } from '../node/rc.js';
import { resolveOn } from '../commands/hosts.js';
import { CLUSTER_CONF, ConfInvalid, parseConf, parseXml, type ClusterConf, type ConfNode, type XmlEl } from './conf.js';
import { clusterOf, VERSIONS, type Rt } from './model.js';
import { checkPassword, shadowEntry } from './passwd.js';
import { groupLs } from './group-tools.js';
import { worldOf } from '../world/world.js';

const h = (levels: string, start: number, stop: number) => ({ levels, start, stop });

/** Read and check the node's cluster.conf: the parsed config, or the lines ccs_config_validate prints. */
export function loadConf(
  node: LabNode,
  path = CLUSTER_CONF,
): { cc: ClusterConf; text: string } | { error: string[]; missing?: boolean } {
  let text: string;
  try {
    text = node.fs.readText(path);
  } catch {
    return { error: [`Unable to open ${path}: No such file or directory`], missing: true };
  }
  try {
    return { cc: parseConf(text), text };
  } catch (e) {
    if (e instanceof ConfInvalid) return { error: e.lines };
    throw e;
  }
}

/** The clusternode whose name resolves (via /etc/hosts) to an address configured on this node. */
export function localNode(node: LabNode, cc: ClusterConf): { me: ConfNode; addr: string } | undefined {
  for (const cn of cc.nodes) {
    const e = resolveOn(node, cn.name);
    if (e && node.net.ifaceOf(e.ip)) return { me: cn, addr: e.ip };
  }
  return undefined;
}

const ccsConfigValidate: CommandFn = (ctx) => {
  const r = loadConf(ctx.node);
  if ('error' in r) {
    ctx.err(r.error.map((l) => l + '\n').join(''));
    ctx.out('Configuration fails to validate\n');
    return 1;
  }
  ctx.out('Configuration validates\n');
  return 0;
};

// ---------- /etc/init.d/cman ----------

const START_STEPS = [
  'Checking if cluster has been disabled at boot...',
  'Checking Network Manager...',
  'Global setup...',
  'Loading kernel modules...',
  'Mounting configfs...',
  'Starting cman...',
  'Waiting for quorum...',
  'Starting fenced...',
  'Starting dlm_controld...',
  'Starting gfs_controld...',
  'Unfencing self...',
  'Joining fence domain...',
];
const STOP_STEPS = [
  'Leaving fence domain...',
  'Stopping gfs_controld...',
  'Stopping dlm_controld...',
  'Stopping fenced...',
  'Stopping cman...',
  'Waiting for corosync to shutdown:',
  'Unloading kernel modules...',
  'Unmounting configfs...',
];
const ok = (steps: string[]) => steps.map((s) => statusLine(`   ${s}`, true)).join('');

function cmanStart(node: LabNode): ActionResult {
  const c = clusterOf(worldOf(node));
  let out = 'Starting cluster: \n';
  if (c.rt[node.name]) return { code: 0, out: out + ok(START_STEPS) };
  out += ok(START_STEPS.slice(0, 1));
  const nmOn = node.isRunning('NetworkManager') || levelState(node.fs, 'NetworkManager')[3] === true;
  if (nmOn) {
    return {
      code: 1,
      out:
        out +
        statusLine(
          '   Checking Network Manager... \nNetwork Manager is either running or configured to run. Please disable it in the cluster.\n',
          false,
        ),
    };
  }
  out += ok(START_STEPS.slice(1, 5));
  const fail = (why: string[]) => ({
    code: 1,
    out: out + statusLine(`   Starting cman... ${why.join('\n')}\n`, false),
  });
  const conf = loadConf(node);
  if ('error' in conf) {
    if (conf.missing)
      return fail([
        'xmlconfig cannot find /etc/cluster/cluster.conf',
        'Unable to get the configuration',
        'xmlconfig cannot find /etc/cluster/cluster.conf',
        "cman_tool: corosync daemon didn't start Check cluster logs for details",
      ]);
    return fail([
      ...conf.error,
      'Configuration fails to validate',
      "cman_tool: corosync daemon didn't start Check cluster logs for details",
    ]);
  }
  const me = localNode(node, conf.cc);
  if (!me)
    return fail([
      'Cannot find node name in cluster.conf',
      'Unable to get the configuration',
      'Cannot find node name in cluster.conf',
      "cman_tool: corosync daemon didn't start Check cluster logs for details",
    ]);
  node.markRunning('cman');
  c.start(node, conf.cc, me.me, me.addr, conf.text);
  return { code: 0, out: out + ok(START_STEPS.slice(5)) };
}

/** DLM lockspaces the node's daemons hold (cman cannot leave while one exists). */
function lockspaces(node: LabNode): string[] {
  return ['rgmanager', 'clvmd'].filter((s) => node.isRunning(s));
}

function cmanStop(node: LabNode): ActionResult {
  const c = clusterOf(worldOf(node));
  let out = 'Stopping cluster: \n';
  const ls = lockspaces(node);
  if (c.rt[node.name] && ls.length) {
    return {
      code: 1,
      out: out + statusLine(`   Leaving fence domain... found dlm lockspace /sys/kernel/dlm/${ls[0]}\n`, false),
    };
  }
  c.stop(node.name);
  node.markStopped('cman');
  out += ok(STOP_STEPS);
  return { code: 0, out };
}

// ---------- cman_tool ----------

const NOT_RUNNING = 'cman_tool: Cannot open connection to cman, is it running ?\n';

/** cman's cluster id: FNV-1a of the name folded to 16 bits (an-cluster-A → 24561, tutorial 1461). */
export function clusterId(name: string): number {
  let hsh = 0x811c9dc5;
  for (const ch of Buffer.from(name)) {
    hsh ^= ch;
    hsh = Math.imul(hsh, 0x01000193) >>> 0;
  }
  return (hsh ^ (hsh >>> 16)) & 0xffff;
}

/** The multicast address cman derives from the cluster id (239.192.95.81, tutorial 1474). */
export function mcastAddr(id: number): string {
  return `239.192.${id >> 8}.${id % 255}`;
}

function status(node: LabNode, r: Rt): string {
  const c = clusterOf(worldOf(node));
  const q = c.quorum(r);
  const id = clusterId(r.cc.name);
  const extra = ['clvmd', 'rgmanager'].filter((s) => node.isRunning(s));
  const ports = [...(node.isRunning('clvmd') ? ['11'] : []), ...(node.isRunning('rgmanager') ? ['177'] : [])];
  return [
    `Version: ${VERSIONS.cmanTool}`,
    `Config Version: ${r.cc.version}`,
    `Cluster Name: ${r.cc.name}`,
    `Cluster Id: ${id}`,
    'Cluster Member: Yes',
    `Cluster Generation: ${r.gen}`,
    'Membership state: Cluster-Member',
    `Nodes: ${r.members.length}`,
    `Expected votes: ${q.expected}`,
    `Total votes: ${q.votes}`,
    `Node votes: ${r.cc.nodes.find((x) => x.name === r.fqdn)?.votes ?? 1}`,
    `Quorum: ${q.quorum}  ${q.votes < q.quorum ? 'Activity blocked' : ''}`,
    `Active subsystems: ${7 + extra.length}`,
    `Flags: ${r.cc.twoNode ? '2node ' : ''}`,
    `Ports Bound: 0 ${ports.join(' ')}${ports.length ? ' ' : ''} `,
    `Node name: ${r.fqdn}`,
    `Node ID: ${r.nodeid}`,
    `Multicast addresses: ${mcastAddr(id)} `,
    `Node addresses: ${r.addr}`,
    '',
  ].join('\n');
}

function ymdhms(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function nodes(r: Rt, fenced?: Record<string, { at: number; by: string }>): string {
  let out = 'Node  Sts   Inc   Joined               Name\n';
  for (const cn of [...r.cc.nodes].sort((a, b) => a.nodeid - b.nodeid)) {
    const j = r.joined[cn.name];
    const m = r.members.includes(cn.name) && j;
    out += `${String(cn.nodeid).padStart(4)}   ${m ? 'M' : 'X'}  ${String(j?.inc ?? 0).padStart(5)}   ${(m ? ymdhms(j.at) : '').padEnd(19)}  ${cn.name}\n`;
    const f = fenced?.[cn.name];
    if (fenced) out += f ? `       Last fenced:   ${ymdhms(f.at)} by ${f.by}\n` : '';
  }
  return out;
}

const cmanTool: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  const verb = a[0];
  const node = ctx.node;
  const c = clusterOf(worldOf(node));
  const r = c.rt[node.name];
  if (
    !verb ||
    !['status', 'nodes', 'version', 'services', 'join', 'leave', 'kill', 'expected', 'votes', 'debug'].includes(verb)
  ) {
    ctx.err(
      `Usage:\n\ncman_tool <join|leave|kill|expected|votes|version|wait|status|nodes|services|debug> [options]\n`,
    );
    return 1;
  }
  if (!r) {
    ctx.err(NOT_RUNNING);
    return 1;
  }
  switch (verb) {
    case 'status':
      ctx.out(status(node, r));
      return 0;
    case 'nodes':
      ctx.out(nodes(r, a.includes('-f') ? c.lastFenced : undefined));
      return 0;
    case 'version':
      if (a.includes('-r')) return versionR(ctx, r);
      ctx.out(`${VERSIONS.cmanTool} config ${r.cc.version}\n`);
      return 0;
    case 'services':
      // NOTE: cluster 3.0.12 cman_tool main.c show_services(): `system("group_tool ls")`.
      return groupLs(ctx);
    default:
      ctx.err(`cman_tool: ${verb} is not simulated by the lab\n`);
      return 1;
  }
};

/**
 * `cman_tool version -r`: ccs_sync pushes the local cluster.conf through ricci to every node of the
 * new config (asking for the ricci password of each node it has not authenticated to yet), then cman
 * reloads it everywhere (tutorial 3093-3097).
 */
async function versionR(ctx: CmdCtx, r: Rt): Promise<number> {
  const node = ctx.node;
  const w = worldOf(node);
  const c = clusterOf(w);
  const conf = loadConf(node);
  if ('error' in conf) {
    ctx.err(conf.error.map((l) => l + '\n').join('') + 'cman_tool: Not reloading, configuration is not valid\n');
    return 1;
  }
  const cc = conf.cc;
  if (cc.name !== r.cc.name) {
    ctx.err(
      `cman_tool: Not reloading, cluster name in ${CLUSTER_CONF} (${cc.name}) differs from the running one (${r.cc.name})\n`,
    );
    return 1;
  }
  if (cc.version <= r.cc.version) {
    ctx.err(
      `cman_tool: Not reloading, config version older or equal the running config\ncman_tool: Current config version ${r.cc.version}, new config version ${cc.version}\n`,
    );
    return 1;
  }
  const lines = ctx.stdin.split('\n');
  let li = 0;
  const targets: LabNode[] = [];
  for (const cn of cc.nodes) {
    const t = c.labNode(cn.name);
    const e = resolveOn(node, cn.name);
    if (
      !t ||
      !e ||
      !t.running ||
      !node.net.sourceFor(e.ip) ||
      !t.net.ifaceOf(e.ip) ||
      !t.net.operational(t.net.ifaceOf(e.ip)!.name) ||
      !t.isRunning('ricci')
    ) {
      ctx.err(
        `Unable to connect to the ricci daemon on ${cn.name}: Connection refused\ncman_tool: Error loading configuration in corosync/cman\n`,
      );
      return 1;
    }
    const key = `${node.name}>${t.name}`;
    if (!c.auth.has(key)) {
      ctx.out(`You have not authenticated to the ricci daemon on ${cn.name}\n`);
      ctx.err('Password: ');
      const pw = li < lines.length && (li < lines.length - 1 || lines[li] !== '') ? lines[li++] : undefined;
      if (pw === undefined) {
        ctx.err(
          `\nUnable to authenticate to the ricci daemon on ${cn.name}: no password given\ncman_tool: Error loading configuration in corosync/cman\n`,
        );
        return 1;
      }
      if (!checkPassword(shadowEntry(t, 'ricci'), pw)) {
        ctx.err(
          `\nUnable to authenticate to the ricci daemon on ${cn.name}: wrong password for user ricci\ncman_tool: Error loading configuration in corosync/cman\n`,
        );
        return 1;
      }
      ctx.err('\n');
      c.auth.add(key);
    }
    if (!t.isRunning('modclusterd')) {
      ctx.err(
        `Unable to update cluster.conf on ${cn.name}: modclusterd is not running there\ncman_tool: Error loading configuration in corosync/cman\n`,
      );
      return 1;
    }
    targets.push(t);
  }
  for (const t of targets) {
    t.fs.mkdirp('/etc/cluster');
    t.fs.writeFile(CLUSTER_CONF, conf.text, 0o640);
    t.log('modcluster', 'Updating cluster.conf');
  }
  for (const p of Object.values(c.rt)) {
    if (p.cc.name !== cc.name || !targets.some((t) => t.name === p.node)) continue;
    p.cc = cc;
    p.confText = conf.text;
    const ids = p.members.map((m) => cc.nodes.find((x) => x.name === m)?.nodeid ?? 0).sort((x, y) => x - y);
    w.nodes[p.node].log(`corosync[${p.pids.corosync}]`, `  [QUORUM] Members[${ids.length}]: ${ids.join(' ')}`);
  }
  c.check();
  w.changed();
  return 0;
}

// ---------- fence_node ----------

const fenceNode: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1).filter((x) => !x.startsWith('-'));
  const victim = a[0];
  if (!victim) {
    ctx.err('Usage:\n\nfence_node [options] node_name\n');
    return 1;
  }
  const w = worldOf(ctx.node);
  const c = clusterOf(w);
  const r = c.rt[ctx.node.name];
  const conf = r ? { cc: r.cc } : loadConf(ctx.node);
  if ('error' in conf) {
    ctx.err('fence_node: cannot connect to cman or read the cluster configuration\n');
    return 1;
  }
  const cn = conf.cc.nodes.find((x) => x.name === victim);
  if (!cn) {
    ctx.err(`fence ${victim} failed: node not found in cluster.conf\n`);
    return 1;
  }
  const okd = await c.fenceOnce(ctx.node, conf.cc, cn.name, `fence_node[${ctx.node.nextPid()}]`);
  w.changed();
  if (okd) {
    ctx.out(`fence ${victim} success\n`);
    return 0;
  }
  ctx.out(`fence ${victim} failed\n`);
  return 1;
};

// ---------- corosync-objctl ----------

/** cluster.conf flattened as corosync's object database holds it: `path.attr=value`, document order. */
function flatten(el: XmlEl, path: string, extra: (p: string) => string[]): string[] {
  const p = path ? `${path}.${el.name}` : el.name;
  const out = Object.entries(el.attrs).map(([k, v]) => `${p}.${k}=${v}`);
  out.push(...extra(p));
  for (const ch of el.children) out.push(...flatten(ch, p, extra));
  return out;
}

/**
 * `corosync-objctl`: the configuration part as the tutorial shows it (1477-1548: cluster.*, totem.*,
 * logging, services) and the ring members; the runtime counters are left out.
 */
const corosyncObjctl: CommandFn = (ctx) => {
  const r = clusterOf(worldOf(ctx.node)).rt[ctx.node.name];
  if (!r) {
    ctx.err('Could not initialize objdb library. Error 6\n');
    return 1;
  }
  const id = clusterId(r.cc.name);
  const root = parseXml(r.confText ?? '<cluster/>');
  const lines = flatten(root, '', (p) =>
    p === 'cluster.cman' ? [`${p}.nodename=${r.fqdn}`, `${p}.cluster_id=${id}`] : [],
  );
  const totem = root.children.find((x) => x.name === 'totem');
  for (const [k, v] of Object.entries(totem?.attrs ?? {})) lines.push(`totem.${k}=${v}`);
  lines.push(
    'totem.transport=udp',
    'totem.version=2',
    `totem.nodeid=${r.nodeid}`,
    'totem.vsftype=none',
    `totem.token=${r.cc.token}`,
    'totem.join=60',
    'totem.fail_recv_const=2500',
    `totem.consensus=${r.cc.consensus}`,
    `totem.key=${r.cc.name}`,
    'totem.interface.ringnumber=0',
    `totem.interface.bindnetaddr=${r.addr}`,
    `totem.interface.mcastaddr=${mcastAddr(id)}`,
    'totem.interface.mcastport=5405',
    'logging.timestamp=on',
    'logging.to_logfile=yes',
    'logging.logfile=/var/log/cluster/corosync.log',
    'logging.logfile_priority=info',
    'logging.to_syslog=yes',
    'logging.syslog_facility=local4',
    'logging.syslog_priority=info',
    'aisexec.user=ais',
    'aisexec.group=ais',
    'service.name=corosync_quorum',
    'service.ver=0',
    'service.name=corosync_cman',
    'service.ver=0',
    'quorum.provider=quorum_cman',
    'service.name=openais_ckpt',
    'service.ver=0',
  );
  const c = clusterOf(worldOf(ctx.node));
  for (const m of [...r.members].sort(
    (x, y) => (r.cc.nodes.find((n) => n.name === x)?.nodeid ?? 0) - (r.cc.nodes.find((n) => n.name === y)?.nodeid ?? 0),
  )) {
    const nid = r.cc.nodes.find((n) => n.name === m)?.nodeid ?? 0;
    const addr = c.labNode(m) ? (c.rt[c.labNode(m)!.name]?.addr ?? r.addr) : r.addr;
    lines.push(
      `runtime.totem.pg.mrp.srp.members.${nid}.ip=r(0) ip(${addr}) `,
      `runtime.totem.pg.mrp.srp.members.${nid}.join_count=1`,
      `runtime.totem.pg.mrp.srp.members.${nid}.status=joined`,
    );
  }
  lines.push(
    'runtime.blackbox.dump_flight_data=no',
    'runtime.blackbox.dump_state=no',
    'cman_private.COROSYNC_DEFAULT_CONFIG_IFACE=xmlconfig:cmanpreconfig',
  );
  ctx.out(lines.join('\n') + '\n');
  return 0;
};

/** The programs of this module, by implementation name. */
export const CMAN_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  ['corosync-objctl']: corosyncObjctl,
  ccs_config_validate: ccsConfigValidate,
  cman_tool: cmanTool,
  fence_node: fenceNode,
};

/** The init scripts of this module. */
export const CMAN_SERVICES: readonly ServiceDef[] = [
  {
    name: 'cman',
    header: h('', 21, 79),
    description: 'Starts and stops cman',
    proc: 'corosync',
    usage: 'start|stop|reload|restart|status',
    start: (node) => cmanStart(node),
    stop: (node) => cmanStop(node),
    status: (node) =>
      clusterOf(worldOf(node)).rt[node.name]
        ? { code: 0, out: 'cluster is running.\n' }
        : { code: 3, out: 'corosync is stopped\n' },
  },
  {
    name: 'modclusterd',
    header: h('', 99, 1),
    description: 'Cluster Monitoring Daemon',
    startMsg: 'Starting Cluster Module - cluster monitor: ',
    stopMsg: 'Shutting down Cluster Module - cluster monitor: ',
    start: (node) => {
      if (node.isRunning('modclusterd'))
        return { code: 0, out: statusLine('Starting Cluster Module - cluster monitor: ', true) };
      node.markRunning('modclusterd');
      return {
        code: 0,
        out: statusLine('Starting Cluster Module - cluster monitor: Setting verbosity level to LogBasic\n', true),
      };
    },
  },
];

/**
 * A shutdown or reboot by command runs the K scripts: cman leaves the cluster cleanly first, so the
 * peer does not fence the node (a crash or a power cut gives no such notice).
 */
const shutdownLeavesCluster =
  (name: string) =>
  (orig: CommandFn | undefined): CommandFn | undefined =>
    orig &&
    ((ctx) => {
      const goes = name !== 'shutdown' || ctx.argv.some((x) => /^-[^c]*[rhPH]/.test(x));
      if (goes && !ctx.argv.includes('-c')) {
        const c = clusterOf(worldOf(ctx.node));
        // NOTE: a test world may hold a stand-in `cluster` subsystem without cman's runtime.
        if (c?.rt?.[ctx.node.name]) {
          c.stop(ctx.node.name);
          ctx.node.markStopped('cman');
        }
      }
      return orig(ctx);
    });

/** The base system's power commands, wrapped so that cman leaves the cluster first. */
export const CMAN_WRAPS: Readonly<Record<string, (orig: CommandFn | undefined) => CommandFn | undefined>> = {
  reboot: shutdownLeavesCluster('reboot'),
  poweroff: shutdownLeavesCluster('poweroff'),
  halt: shutdownLeavesCluster('halt'),
  shutdown: shutdownLeavesCluster('shutdown'),
};
