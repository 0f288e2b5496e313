/**
 * The cluster subsystem's model: each node's running cman (corosync membership, quorum, fenced), how
 * membership forms and breaks over the BCN, token loss and fencing in lab time, post_join_delay, clean
 * leaves, ricci authentication and the config push. Registered under the key `cluster` and
 * implementing `ClusterView` for the rest of the lab.
 *
 * Membership (tutorial 1098-1099, 1405-1475, 1757-1764): two nodes are connected when both run cman
 * with the same cluster name and config_version, both are powered and not hung, and each reaches the
 * other's cluster address over an operational interface (the BCN bond). A poll every lab second
 * compares that with each node's view: a member that can no longer be reached is lost after the
 * totem token timeout plus consensus (logging the tutorial's lines) and fenced by the survivor; two
 * connected nodes that are not members of each other merge.
 */
import { type World, type TimerHandler, type SubsystemState } from '../world/world.js';
import { type LabNode, type NodeDownHow } from '../node/node.js';
import type { ClusterView } from './view.js';
import type { ClusterConf, ConfNode } from './conf.js';
import { planAgent, type AgentOpts } from './agents.js';
import { labWait } from '../world/job-clock.js';
import { JsonCopy } from '../store/json-copy.js';

/** Lab time between two membership checks. */
export const POLL_MS = 1000;
/** fenced's pause before it walks the methods again after all of them failed. */
export const FENCE_RETRY_MS = 5000;

/** Versions the tools print. */
export const VERSIONS = { cmanTool: '6.2.0', cluster: '3.0.12.1', corosync: '1.4.1' };

/** A fence in progress by one node's fenced. */
interface Fencing {
  victim: string;
  method: number;
  device: number;
  seq: number;
}

/** One node's running cman (gone when cman stops or the node goes down). */
export interface Rt {
  node: string;
  /** Its clusternode name. */
  fqdn: string;
  nodeid: number;
  /** The address corosync bound to (the clusternode name's address, on the BCN). */
  addr: string;
  /** The configuration it runs, and its text (corosync-objctl flattens it). */
  cc: ClusterConf;
  confText?: string;
  /** Clusternode names of the members as this node sees them. */
  members: string[];
  /** Member → when it joined and the generation it joined in. */
  joined: Record<string, { at: number; inc: number }>;
  gen: number;
  pids: { corosync: number; fenced: number; dlm: number; gfs: number };
  startedAt: number;
  /** Peers whose loss is being timed: token then consensus. */
  pending: Record<string, 'token' | 'consensus'>;
  fencing?: Fencing;
  /** Victims still to fence after the current one. */
  queue: string[];
  /** Every node that was a member during this run (post_join_delay spares them). */
  seen?: string[];
}

interface Saved {
  rt: Record<string, Rt>;
  /** Ricci authentications done, `from>to` (like ricci's certificates, they survive reboots). */
  auth: string[];
  seq: number;
  /** Boot time at which each node last loaded the dlm module. */
  dlm?: Record<string, number>;
  /** Last successful fence per clusternode: when and by which method (cman_tool nodes -f). */
  fenced?: Record<string, { at: number; by: string }>;
}

/** The cluster subsystem of one world. */
export class Cluster implements ClusterView {
  rt: Record<string, Rt>;
  auth: Set<string>;
  private seq: number;
  private dlmLoaded: Record<string, number>;
  /** Last successful fence per clusternode (cman keeps it for `cman_tool nodes -f`). */
  lastFenced: Record<string, { at: number; by: string }>;

  constructor(
    private w: World,
    saved?: Saved,
  ) {
    this.rt = saved ? (JSON.parse(JSON.stringify(saved.rt)) as Record<string, Rt>) : {};
    this.auth = new Set(saved?.auth ?? []);
    this.seq = saved?.seq ?? 0;
    this.dlmLoaded = { ...(saved?.dlm ?? {}) };
    this.lastFenced = JSON.parse(JSON.stringify(saved?.fenced ?? {})) as Record<string, { at: number; by: string }>;
  }

  private readonly saved = new JsonCopy<Saved>();

  toJSON(): Saved {
    return this.saved.of({
      rt: this.rt,
      auth: [...this.auth].sort(),
      seq: this.seq,
      dlm: this.dlmLoaded,
      fenced: this.lastFenced,
    });
  }

  // ---------- lookups ----------

  /** The lab node a clusternode name stands for. */
  labNode(cn: string): LabNode | undefined {
    const short = cn.split('.')[0];
    return (
      Object.values(this.w.nodes).find((n) => n.fqdn === cn || n.name === cn) ??
      Object.values(this.w.nodes).find((n) => n.name === short)
    );
  }

  private rtOf(cn: string): Rt | undefined {
    const n = this.labNode(cn);
    return n ? this.rt[n.name] : undefined;
  }

  private confNode(r: Rt, cn: string): ConfNode | undefined {
    return r.cc.nodes.find((x) => x.name === cn);
  }

  /** Powered, not hung, cman running, its cluster address on an operational interface. */
  private alive(r: Rt): boolean {
    const n = this.w.nodes[r.node];
    if (!n || !n.running) return false;
    const i = n.net.ifaceOf(r.addr);
    return !!i && n.net.operational(i.name);
  }

  /** Whether corosync on `a` and `b` can talk (and would accept each other). */
  connected(a: Rt, b: Rt): boolean {
    if (a.cc.name !== b.cc.name || a.cc.version !== b.cc.version) return false;
    if (!this.alive(a) || !this.alive(b)) return false;
    const na = this.w.nodes[a.node];
    const nb = this.w.nodes[b.node];
    return na.net.sourceFor(b.addr)?.ip === a.addr && nb.net.sourceFor(a.addr)?.ip === b.addr;
  }

  private log(r: Rt, daemon: 'corosync' | 'fenced' | 'kernel' | 'dlm_controld' | 'gfs_controld', msg: string): void {
    const n = this.w.nodes[r.node];
    if (!n) return;
    const pid =
      daemon === 'corosync'
        ? r.pids.corosync
        : daemon === 'fenced'
          ? r.pids.fenced
          : daemon === 'dlm_controld'
            ? r.pids.dlm
            : r.pids.gfs;
    n.log(daemon === 'kernel' ? 'kernel' : `${daemon}[${pid}]`, daemon === 'corosync' ? `  ${msg}` : msg);
  }

  private ids(r: Rt): string {
    return r.members
      .map((m) => this.confNode(r, m)?.nodeid ?? 0)
      .sort((x, y) => x - y)
      .join(' ');
  }

  private addrOf(cn: string, r: Rt): string {
    return this.rtOf(cn)?.addr ?? r.addr;
  }

  /** The lowest-id member's address (corosync's downlist sender). */
  private sender(r: Rt): string {
    const first = [...r.members].sort(
      (x, y) => (this.confNode(r, x)?.nodeid ?? 0) - (this.confNode(r, y)?.nodeid ?? 0),
    )[0];
    return first ? this.addrOf(first, r) : r.addr;
  }

  // ---------- cman start / stop ----------

  /** cman started on `n` as clusternode `me` (resolved to `addr`): corosync forms its own ring, then merges. */
  start(n: LabNode, cc: ClusterConf, me: ConfNode, addr: string, confText?: string): Rt {
    const now = this.w.now();
    const r: Rt = {
      node: n.name,
      fqdn: me.name,
      nodeid: me.nodeid,
      addr,
      cc,
      ...(confText !== undefined ? { confText } : {}),
      members: [me.name],
      joined: { [me.name]: { at: now, inc: 4 } },
      gen: 4,
      pids: { corosync: n.nextPid(), fenced: 0, dlm: 0, gfs: 0 },
      startedAt: now,
      pending: {},
      queue: [],
    };
    this.rt[n.name] = r;
    const L = (m: string) => this.log(r, 'corosync', m);
    // NOTE: the dlm module announces itself once per boot, when cman first loads it.
    if (this.dlmLoaded[n.name] !== n.bootTime) n.log('kernel', 'DLM (built Nov  9 2011 08:04:11) installed');
    this.dlmLoaded[n.name] = n.bootTime;
    L(`[MAIN  ] Corosync Cluster Engine ('${VERSIONS.corosync}'): started and ready to provide service.`);
    L('[MAIN  ] Corosync built-in features: nss dbus rdma snmp');
    L('[MAIN  ] Successfully read config from /etc/cluster/cluster.conf');
    L('[MAIN  ] Successfully parsed cman config');
    L('[TOTEM ] Initializing transport (UDP/IP Multicast).');
    L('[TOTEM ] Initializing transmit/receive security: libtomcrypt SOBER128/SHA1HMAC (mode 0).');
    L(`[TOTEM ] The network interface [${addr}] is now up.`);
    L('[QUORUM] Using quorum provider quorum_cman');
    L('[SERV  ] Service engine loaded: corosync cluster quorum service v0.1');
    L(`[CMAN  ] CMAN ${VERSIONS.cluster} (built Sep 30 2011 03:17:43) started`);
    L('[SERV  ] Service engine loaded: corosync CMAN membership service 2.90');
    L('[SERV  ] Service engine loaded: openais checkpoint service B.01.01');
    L('[SERV  ] Service engine loaded: corosync extended virtual synchrony service');
    L('[SERV  ] Service engine loaded: corosync configuration service');
    L('[SERV  ] Service engine loaded: corosync cluster closed process group service v1.01');
    L('[SERV  ] Service engine loaded: corosync cluster config database access v1.01');
    L('[SERV  ] Service engine loaded: corosync profile loading service');
    L('[QUORUM] Using quorum provider quorum_cman');
    L('[SERV  ] Service engine loaded: corosync cluster quorum service v0.1');
    L('[MAIN  ] Compatibility mode set to whitetank.  Using V1 and V2 of the synchronization engine.');
    L('[TOTEM ] A processor joined or left the membership and a new membership was formed.');
    if (this.quorate(n.name)) {
      L('[CMAN  ] quorum regained, resuming activity');
      L('[QUORUM] This node is within the primary component and will provide service.');
    }
    L(`[QUORUM] Members[1]: ${me.nodeid}`);
    L(`[QUORUM] Members[1]: ${me.nodeid}`);
    L(`[CPG   ] chosen downlist: sender r(0) ip(${addr}) ; members(old:0 left:0)`);
    L('[MAIN  ] Completed service synchronization, ready to provide service.');
    this.check();
    r.pids.fenced = n.nextPid();
    r.pids.dlm = n.nextPid();
    r.pids.gfs = n.nextPid();
    n.services.corosync = r.pids.corosync;
    n.services.fenced = r.pids.fenced;
    n.services.dlm_controld = r.pids.dlm;
    n.services.gfs_controld = r.pids.gfs;
    this.log(r, 'fenced', `fenced ${VERSIONS.cluster} started`);
    this.log(r, 'dlm_controld', `dlm_controld ${VERSIONS.cluster} started`);
    this.log(r, 'gfs_controld', `gfs_controld ${VERSIONS.cluster} started`);
    // NOTE: fenced gives absent nodes post_join_delay to join, then fences them (tutorial 1306-1307, 1405).
    if (r.cc.nodes.some((x) => !r.members.includes(x.name)))
      this.w.schedule(r.cc.postJoinDelay * 1000, 'cluster.pjd', { node: n.name, epoch: r.startedAt });
    this.ensurePoll();
    this.w.changed();
    return r;
  }

  /** cman stops cleanly on `node`: its peers see it leave (no fence). */
  stop(node: string): void {
    const r = this.rt[node];
    if (!r) return;
    delete this.rt[node];
    this.cancelTimers(node);
    const n = this.w.nodes[node];
    if (n) for (const s of ['corosync', 'fenced', 'dlm_controld', 'gfs_controld']) n.markStopped(s);
    for (const p of Object.values(this.rt)) {
      if (!p.members.includes(r.fqdn)) continue;
      this.removeMember(p, r.fqdn);
    }
    this.w.changed();
  }

  private removeMember(p: Rt, cn: string): void {
    const old = p.members.length;
    p.members = p.members.filter((m) => m !== cn);
    delete p.joined[cn];
    delete p.pending[cn];
    p.gen += 4;
    const L = (m: string) => this.log(p, 'corosync', m);
    L(`[QUORUM] Members[${p.members.length}]: ${this.ids(p)}`);
    L('[TOTEM ] A processor joined or left the membership and a new membership was formed.');
    L(`[CPG   ] chosen downlist: sender r(0) ip(${this.sender(p)}) ; members(old:${old} left:1)`);
    L('[MAIN  ] Completed service synchronization, ready to provide service.');
    this.log(p, 'kernel', `dlm: closing connection to node ${this.confNode(p, cn)?.nodeid ?? 0}`);
  }

  private merge(a: Rt, b: Rt): void {
    const gen = Math.max(a.gen, b.gen) + 4;
    const now = this.w.now();
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const old = x.members.length;
      if (!x.members.includes(y.fqdn)) x.members.push(y.fqdn);
      x.seen = [...new Set([...(x.seen ?? []), y.fqdn])];
      x.joined[y.fqdn] = { at: now, inc: gen };
      x.gen = gen;
      delete x.pending[y.fqdn];
      const L = (m: string) => this.log(x, 'corosync', m);
      L('[TOTEM ] A processor joined or left the membership and a new membership was formed.');
      L(`[QUORUM] Members[${x.members.length}]: ${this.ids(x)}`);
      L(`[QUORUM] Members[${x.members.length}]: ${this.ids(x)}`);
      L(`[CPG   ] chosen downlist: sender r(0) ip(${this.sender(x)}) ; members(old:${old} left:0)`);
      L('[MAIN  ] Completed service synchronization, ready to provide service.');
    }
  }

  // ---------- membership ----------

  private ensurePoll(): void {
    if (!Object.keys(this.rt).length) return;
    if (this.w.scheduler.pending().some((t) => t.kind === 'cluster.poll')) return;
    this.w.schedule(POLL_MS, 'cluster.poll');
  }

  /** Compare every node's view with who can reach whom; start token timers, cancel them, merge. */
  check(): void {
    const all = Object.values(this.rt).sort((x, y) => x.nodeid - y.nodeid);
    for (const a of all) {
      if (!this.w.nodes[a.node]?.running) continue;
      // NOTE: a member whose cman vanished (crash, power loss) is still a member until the token says otherwise.
      for (const cn of [...a.members]) {
        if (cn === a.fqdn) continue;
        const b = this.rtOf(cn);
        const linked = !!b && this.connected(a, b);
        if (!linked && !a.pending[cn]) {
          a.pending[cn] = 'token';
          this.w.schedule(a.cc.token, 'cluster.token', { node: a.node, peer: cn, epoch: a.startedAt });
        } else if (linked && a.pending[cn]) {
          delete a.pending[cn];
          const same = (d: unknown) => (d as { node: string }).node === a.node && (d as { peer: string }).peer === cn;
          this.w.scheduler.cancelWhere('cluster.token', same);
          this.w.scheduler.cancelWhere('cluster.consensus', same);
        }
      }
      for (const b of all) {
        if (a === b || a.members.includes(b.fqdn)) continue;
        // NOTE: also when `b` still lists `a` (b restarted cman before its token expired): a new incarnation joins.
        if (!this.connected(a, b)) continue;
        if (
          a.fencing?.victim === b.fqdn ||
          b.fencing?.victim === a.fqdn ||
          a.queue.includes(b.fqdn) ||
          b.queue.includes(a.fqdn)
        )
          continue;
        this.merge(a, b);
      }
    }
  }

  private cancelTimers(node: string): void {
    for (const k of ['cluster.token', 'cluster.consensus', 'cluster.pjd', 'cluster.fence', 'cluster.fence-retry'])
      this.w.scheduler.cancelWhere(k, (d) => (d as { node: string }).node === node);
  }

  /** The totem token expired for `peer`: log it and give consensus its time. */
  tokenLost(r: Rt, peer: string): void {
    const a = this.rtOf(peer);
    if (a && this.connected(r, a)) {
      delete r.pending[peer];
      return;
    }
    r.pending[peer] = 'consensus';
    this.log(r, 'corosync', '[TOTEM ] A processor failed, forming new configuration.');
    this.w.schedule(r.cc.consensus, 'cluster.consensus', { node: r.node, peer, epoch: r.startedAt });
  }

  /** Consensus reached without `peer`: new membership, then fenced fences it. */
  lost(r: Rt, peer: string): void {
    const a = this.rtOf(peer);
    if (a && this.connected(r, a)) {
      delete r.pending[peer];
      return;
    }
    this.removeMember(r, peer);
    this.fence(r, peer);
  }

  // ---------- fenced ----------

  /** Queue `victim` for fencing by `r`'s fenced. */
  fence(r: Rt, victim: string): void {
    if (r.fencing?.victim === victim || r.queue.includes(victim)) return;
    if (r.fencing) {
      r.queue.push(victim);
      return;
    }
    this.log(r, 'fenced', `fencing node ${victim}`);
    r.fencing = { victim, method: 0, device: 0, seq: ++this.seq };
    this.runDevice(r);
  }

  /** The agent and its stdin options for device `d` of method `m` of `victim` in `cc`. */
  static deviceCall(
    cc: ClusterConf,
    victim: string,
    m: number,
    d: number,
  ): { agent: string; opts: AgentOpts } | undefined {
    const ref = cc.nodes.find((x) => x.name === victim)?.methods[m]?.devices[d];
    if (!ref) return undefined;
    const dev = cc.devices[ref.name] ?? {};
    const opts: AgentOpts = {};
    for (const [k, v] of Object.entries({ ...dev, ...ref.attrs })) if (k !== 'name' && k !== 'agent') opts[k] = v;
    opts.nodename = victim;
    return { agent: dev.agent ?? '', opts };
  }

  private runDevice(r: Rt): void {
    const f = r.fencing!;
    const n = this.w.nodes[r.node];
    const call = Cluster.deviceCall(r.cc, f.victim, f.method, f.device);
    const plan = call ? planAgent(this.w, n, call.agent, call.opts) : undefined;
    this.w.schedule(Math.max(1, plan?.ms ?? 0), 'cluster.fence', { node: r.node, epoch: r.startedAt, seq: f.seq });
  }

  /** A fence agent run by fenced finished. */
  agentDone(r: Rt): void {
    const f = r.fencing!;
    const n = this.w.nodes[r.node];
    const methods = r.cc.nodes.find((x) => x.name === f.victim)?.methods ?? [];
    const call = Cluster.deviceCall(r.cc, f.victim, f.method, f.device);
    const res = call ? planAgent(this.w, n, call.agent, call.opts) : undefined;
    if (res?.ok) {
      res.apply?.();
      if (!this.rt[r.node] || !n.running) return;
      if (f.device + 1 < (methods[f.method]?.devices.length ?? 0)) {
        f.device++;
        this.runDevice(r);
        return;
      }
      this.log(r, 'fenced', `fence ${f.victim} success`);
      this.lastFenced[f.victim] = { at: this.w.now(), by: methods[f.method]?.name ?? '' };
      r.fencing = undefined;
      const next = r.queue.shift();
      if (next) this.fence(r, next);
      this.w.changed();
      return;
    }
    if (call)
      this.log(
        r,
        'fenced',
        `fence ${f.victim} dev ${f.method}.${f.device} agent ${call.agent || 'none'} result: error from agent`,
      );
    f.device = 0;
    f.method++;
    if (f.method < methods.length) {
      this.runDevice(r);
      return;
    }
    // NOTE: fenced loops over every method until one works (tutorial 1169, 1182).
    if (!methods.length) this.log(r, 'fenced', `fence ${f.victim} dev 0.0 agent none result: error no method`);
    f.method = 0;
    this.w.schedule(FENCE_RETRY_MS, 'cluster.fence-retry', { node: r.node, epoch: r.startedAt, seq: f.seq });
  }

  /** post_join_delay is over: fence every configured node that has not joined. */
  postJoinDelay(r: Rt): void {
    // NOTE: only nodes that never joined since fenced started; one that left cleanly is not a victim.
    for (const cn of r.cc.nodes)
      if (!r.members.includes(cn.name) && !(r.seen ?? []).includes(cn.name)) this.fence(r, cn.name);
  }

  /**
   * One pass over the victim's methods (what fence_node does): lab time passes with each agent run.
   * Logs to `from`'s syslog as `tag`; true when a method succeeded.
   */
  async fenceOnce(from: LabNode, cc: ClusterConf, victim: string, tag: string): Promise<boolean> {
    const methods = cc.nodes.find((x) => x.name === victim)?.methods ?? [];
    for (let m = 0; m < methods.length; m++) {
      let ok = true;
      for (let d = 0; d < methods[m].devices.length; d++) {
        const call = Cluster.deviceCall(cc, victim, m, d)!;
        const first = planAgent(this.w, from, call.agent, call.opts);
        // NOTE: in a DRBD helper the agent's run overlaps the other helpers' waits (job-clock.ts).
        await labWait(this.w, first.ms);
        await new Promise((res) => setImmediate(res));
        if (!from.running) return false;
        const res = planAgent(this.w, from, call.agent, call.opts);
        if (!res.ok) {
          from.log(tag, `fence ${victim} dev ${m}.${d} agent ${call.agent} result: error from agent`);
          ok = false;
          break;
        }
        res.apply?.();
      }
      if (ok) {
        // NOTE: fence_node reports under its own name (tutorial 5010: `fence_node[15572]: fence ... success`).
        from.log(tag, `fence ${victim} success`);
        this.lastFenced[victim] = { at: this.w.now(), by: methods[m].name };
        const r = this.rt[from.name];
        if (r?.fencing?.victim === victim) {
          this.log(r, 'fenced', `fence ${victim} overridden by administrator intervention`);
          r.fencing = undefined;
          this.w.scheduler.cancelWhere('cluster.fence', (x) => (x as { node: string }).node === from.name);
          this.w.scheduler.cancelWhere('cluster.fence-retry', (x) => (x as { node: string }).node === from.name);
        }
        return true;
      }
    }
    return false;
  }

  // ---------- ClusterView ----------

  isMember(node: string): boolean {
    return !!this.rt[node] && !!this.w.nodes[node]?.running;
  }

  /** Votes of the node's partition against cman's quorum (two_node: 1). */
  quorum(r: Rt): { votes: number; expected: number; quorum: number } {
    const votes = r.members.reduce((s, m) => s + (this.confNode(r, m)?.votes ?? 1), 0);
    const total = r.cc.nodes.reduce((s, x) => s + x.votes, 0);
    const expected = r.cc.expectedVotes ?? total;
    const quorum = r.cc.twoNode ? 1 : Math.floor(expected / 2) + 1;
    return { votes, expected, quorum };
  }

  quorate(node: string): boolean {
    const r = this.rt[node];
    if (!r) return false;
    const q = this.quorum(r);
    return q.votes >= q.quorum;
  }

  clusterName(node: string): string | undefined {
    return this.rt[node]?.cc.name;
  }

  members(node: string): string[] {
    const r = this.rt[node];
    if (!r) return [];
    return r.members.map((m) => this.labNode(m)?.name ?? m.split('.')[0]);
  }

  pendingFence(node: string): string[] {
    const r = this.rt[node];
    if (!r) return [];
    const names = [
      ...(r.fencing ? [r.fencing.victim] : []),
      ...r.queue,
      ...Object.entries(r.pending)
        .filter(([, v]) => v === 'consensus')
        .map(([k]) => k),
    ];
    return [...new Set(names)].map((m) => this.labNode(m)?.name ?? m.split('.')[0]);
  }

  /** fence_node runs under way, by victim (runtime only: a fence in flight is not saved). */
  private inflight = new Map<string, Promise<boolean>>();

  async fenceNode(from: string, victim: string): Promise<boolean> {
    const n = this.w.nodes[from];
    const r = this.rt[from];
    if (!n || !r) return false;
    const cn = r.cc.nodes.find((x) => x.name === victim || this.labNode(x.name)?.name === victim);
    if (!cn) return false;
    // NOTE: DRBD calls its fence-peer handler once per resource, all at the same moment: they share
    // the one fence of the victim already under way instead of killing it again after it rebooted.
    const running = this.inflight.get(cn.name);
    if (running) return running;
    const p = this.fenceOnce(n, r.cc, cn.name, `fence_node[${n.nextPid()}]`).finally(() =>
      this.inflight.delete(cn.name),
    );
    this.inflight.set(cn.name, p);
    const ok = await p;
    this.w.changed();
    return ok;
  }

  // ---------- power events ----------

  nodeBoot(node: LabNode): void {
    if (this.rt[node.name]) this.down(node.name);
  }

  /** An orderly shutdown (ACPI power button): cman's K script leaves the cluster before the power goes. */
  nodeShutdown(node: LabNode): void {
    if (!this.rt[node.name]) return;
    this.stop(node.name);
    node.markStopped('cman');
  }

  nodeDown(node: LabNode, _how: NodeDownHow): void {
    this.down(node.name);
  }

  /** The node died (power, hang): its cman is gone without a word; peers notice by the token. */
  private down(node: string): void {
    if (!this.rt[node]) return;
    delete this.rt[node];
    this.cancelTimers(node);
  }
}

/** The cluster subsystem of a world. */
export function clusterOf(w: World): Cluster {
  return w.sub<Cluster>('cluster')!;
}

type Ev = { node: string; epoch: number; peer?: string; seq?: number };
/** The node's running cman for a timer, if it is still the run that set it and the node runs. */
function live(world: unknown, data: unknown): { c: Cluster; r: Rt; d: Ev } | undefined {
  const w = world as World;
  const d = data as Ev;
  const c = clusterOf(w);
  const r = c?.rt[d.node];
  if (!r || r.startedAt !== d.epoch || !w.nodes[d.node]?.running) return undefined;
  return { c, r, d };
}

/** What this module's lab-time timers do, by kind. */
export const CLUSTER_TIMERS: Readonly<Record<string, TimerHandler>> = {
  ['cluster.poll']: (w) => {
    const c = clusterOf(w);
    if (!c || !Object.keys(c.rt).length) return;
    c.check();
    w.schedule(POLL_MS, 'cluster.poll');
  },
  ['cluster.token']: (world, data) => {
    const x = live(world, data);
    if (x && x.r.pending[x.d.peer!] === 'token') x.c.tokenLost(x.r, x.d.peer!);
  },
  ['cluster.consensus']: (world, data) => {
    const x = live(world, data);
    if (x && x.r.pending[x.d.peer!] === 'consensus') x.c.lost(x.r, x.d.peer!);
  },
  ['cluster.pjd']: (world, data) => {
    const x = live(world, data);
    if (x) x.c.postJoinDelay(x.r);
  },
  ['cluster.fence']: (world, data) => {
    const x = live(world, data);
    if (x && x.r.fencing?.seq === x.d.seq) x.c.agentDone(x.r);
  },
  ['cluster.fence-retry']: (world, data) => {
    const x = live(world, data);
    const f = x?.r.fencing;
    if (!x || !f || f.seq !== x.d.seq) return;
    const call = Cluster.deviceCall(x.r.cc, f.victim, 0, 0);
    const n = world.nodes[x.r.node];
    const plan = call ? planAgent(world, n, call.agent, call.opts) : undefined;
    world.schedule(Math.max(1, plan?.ms ?? 0), 'cluster.fence', {
      node: x.r.node,
      epoch: x.r.startedAt,
      seq: f.seq,
    });
  },
};

/** This subsystem's shared state in the world. */
export const CLUSTER_STATE: SubsystemState = {
  key: 'cluster',
  create: (w, saved) => new Cluster(w, saved as Saved | undefined),
};
