/**
 * rgmanager's model: which nodes run the daemon (and the configuration each loaded), the cluster-wide
 * state of every resource group (state, owner, last owner, restart history) and the rules that move
 * groups: autostart when the state is (re)built with quorum, starting `stopped` groups on the best
 * node of their failover domain, status polling, restart/relocate recovery, takeover from a fenced
 * member, `nofailback` (groups never move back by themselves), and the operations `clusvcadm` asks for.
 *
 * State lives in the world under the key `rgmanager` (plain JSON). Each running daemon polls once a
 * lab second (`rgmanager.tick`); the work a poll decides (running agents on nodes) is asynchronous
 * and tracked in memory so tests and the control endpoint can wait for it (`idle`). Like the real
 * daemon's state (kept in DLM lock value blocks), group states vanish when the last daemon stops.
 *
 * Logging follows the tutorial's syslog captures: rgmanager logs at NOTICE and above there, so its
 * INFO lines ("I am node #1", "State change: ...", "Loading Service Data") are not written.
 */
import { type World, type TimerHandler, type SubsystemState } from '../../world/world.js';
import type { LabNode } from '../../node/node.js';
import { type Subsystem } from '../../world/world.js';
import { clusterView, type ClusterView } from '../view.js';
import { JsonCopy } from '../../store/json-copy.js';
import { CLUSTER_CONF, confVersion, parseRmConf, type Group, type RmConf } from './conf.js';
import { agentMigrate, agentStart, agentStatus, agentStop, ocfText, sh, type AgentResult } from './agents.js';

/**
 * What rgmanager needs from the cluster subsystem beyond `ClusterView`. All are optional: without
 * `fencePending`/`pendingFence` a lost member counts as fenced once it left the membership; without
 * `configVersion` the running configuration is the node's /etc/cluster/cluster.conf.
 */
export interface RgClusterView extends ClusterView {
  /** `node`'s fenced still has to fence `victim` (lost member, fence not yet successful). */
  fencePending?(node: string, victim: string): boolean;
  /** The same as a list: lost members (short names) `node`'s fenced has not fenced yet. */
  pendingFence?(node: string): string[];
  /** The config_version cman runs with on `node` (what `cman_tool version -r` changes). */
  configVersion?(node: string): number | undefined;
}

/** Group states as clustat prints them. */
export type GroupState =
  'stopped' | 'starting' | 'started' | 'stopping' | 'failed' | 'recovering' | 'disabled' | 'migrating';

/** One group's cluster-wide state. Owners are lab node names. */
export interface GroupStatus {
  state: GroupState;
  owner?: string;
  last?: string;
  /** Lab times of the restarts in place still remembered (restart_expire_time). */
  restarts: number[];
  /** Lab time of the last state change (rg_state_t's rs_transition; `clustat -l` "Last Transition"). */
  transition?: number;
}

/** One node's running daemon. */
export interface Daemon {
  pid: number;
  /** The configuration it loaded. */
  conf: RmConf;
  /** Members (lab names) as the daemon last saw them. */
  members: string[];
  quorate: boolean;
  /** Group id → lab time of its last status check on this node. */
  checked: Record<string, number>;
  /** `rgmanager stop` is in progress: no group is started here any more. */
  exiting?: boolean;
}

interface Saved {
  daemons: Record<string, Daemon>;
  groups: Record<string, GroupStatus>;
  /** Lost members whose groups wait for the fence (lab names). */
  downs: string[];
}

/** Lab ms between two polls of a daemon. */
export const TICK_MS = 1000;
/** vm status interval (tutorial 4478-4485: "within a few seconds (10, maximum)"). */
export const VM_STATUS_MS = 10_000;
/** script status interval (script.sh's 30 s). */
export const SCRIPT_STATUS_MS = 30_000;

/** clusvcadm's results (rgmanager's RG_E* codes). */
export const RG = {
  SUCCESS: 0,
  EFAIL: -1,
  ENOSERVICE: -4,
  EINVAL: -8,
  EQUORUM: -9,
  ERUN: -10,
  ENODE: -12,
  EDOMAIN: -15,
} as const;

/** The rgmanager subsystem of one world. */
export class Rgmanager implements Subsystem {
  s: Saved;
  /** Groups with an operation in progress (a daemon serializes work per group). */
  private busy = new Set<string>();
  private inflight = new Set<Promise<unknown>>();

  constructor(
    private w: World,
    saved?: Saved,
  ) {
    this.s = saved ? (JSON.parse(JSON.stringify(saved)) as Saved) : { daemons: {}, groups: {}, downs: [] };
    // NOTE: operations in flight are not saved; a group caught mid-way settles to what its agent finds.
    for (const g of Object.values(this.s.groups)) {
      if (g.state === 'starting' || g.state === 'migrating') g.state = 'started';
      if (g.state === 'stopping') {
        g.state = 'stopped';
        g.last = g.owner ?? g.last;
        delete g.owner;
      }
    }
  }

  private readonly saved = new JsonCopy<Saved>();

  toJSON(): Saved {
    return this.saved.of(this.s);
  }

  // ---------- lookups ----------

  private view(): RgClusterView | undefined {
    return clusterView(this.w);
  }

  /** The lab node a cluster node name (fqdn or short) stands for. */
  labName(cn: string): string | undefined {
    const ns = Object.values(this.w.nodes);
    return (ns.find((n) => n.fqdn === cn || n.name === cn) ?? ns.find((n) => n.name === cn.split('.')[0]))?.name;
  }

  /** The cluster node name (as in cluster.conf) of a lab node. */
  cnName(node: string, conf?: RmConf): string {
    const n = this.w.nodes[node];
    const c = conf ?? this.anyConf();
    return c?.nodes.find((x) => this.labName(x.name) === node)?.name ?? n?.fqdn ?? node;
  }

  nodeId(node: string, conf?: RmConf): number {
    return (conf ?? this.anyConf())?.nodes.find((x) => this.labName(x.name) === node)?.nodeid ?? 0;
  }

  private anyConf(): RmConf | undefined {
    return Object.values(this.s.daemons)[0]?.conf;
  }

  /** The daemon of a node, when it runs. */
  daemon(node: string): Daemon | undefined {
    const d = this.s.daemons[node];
    return d && this.w.nodes[node]?.running ? d : undefined;
  }

  /** The configuration the cluster's daemons run (the newest loaded). */
  conf(): RmConf | undefined {
    let best: RmConf | undefined;
    for (const d of Object.values(this.s.daemons)) if (!best || d.conf.version > best.version) best = d.conf;
    return best;
  }

  group(id: string): Group | undefined {
    return this.conf()?.groups.find((g) => g.id === id);
  }

  status(id: string): GroupStatus | undefined {
    return this.s.groups[id];
  }

  /** Members (lab names) `node`'s cman sees, `node` first when it is one. */
  members(node: string): string[] {
    const v = this.view();
    if (!v || !v.isMember(node)) return [];
    const out = new Set<string>();
    for (const m of v.members(node)) {
      const l = this.labName(m);
      if (l) out.add(l);
    }
    return [...out];
  }

  /** Nodes where rgmanager runs and that `from` sees as members. */
  rgMembers(from: string): string[] {
    return this.members(from).filter((n) => this.daemon(n) && !this.s.daemons[n].exiting);
  }

  /** Nodes a group may run on, best first, among rgmanager members seen from `from`. */
  candidates(g: Group, from: string, exclude: string[] = []): string[] {
    const conf = this.s.daemons[from]?.conf ?? this.conf();
    const up = this.rgMembers(from).filter((n) => !exclude.includes(n));
    const dom = g.domain ? conf?.domains.find((d) => d.name === g.domain) : undefined;
    const byId = (a: string, b: string) => this.nodeId(a, conf) - this.nodeId(b, conf);
    if (!dom) return up.sort(byId);
    const prio = (n: string) => dom.nodes.find((x) => this.labName(x.name) === n);
    const inDom = up.filter((n) => prio(n));
    const sorted = inDom.sort(
      (a, b) => (dom.ordered ? (prio(a)!.priority || 99) - (prio(b)!.priority || 99) : 0) || byId(a, b),
    );
    if (dom.restricted) return sorted;
    return [...sorted, ...up.filter((n) => !prio(n)).sort(byId)];
  }

  /** Whether a group may run on `node` per its domain. */
  allowed(g: Group, node: string): boolean {
    const dom = g.domain ? this.conf()?.domains.find((d) => d.name === g.domain) : undefined;
    if (!dom || !dom.restricted) return true;
    return dom.nodes.some((x) => this.labName(x.name) === node);
  }

  // ---------- logging and async work ----------

  log(node: string, msg: string): void {
    const d = this.s.daemons[node];
    const n = this.w.nodes[node];
    if (d && n) n.log(`rgmanager[${d.pid}]`, msg);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Resolves once no operation is in progress (tests, the control endpoint). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Run `fn` holding `id`'s lock; false when the group is busy. */
  async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.busy.has(id)) return undefined;
    this.busy.add(id);
    try {
      return await this.track(fn());
    } catch (e) {
      // NOTE: a bug in the model must not take the lab down; it shows in the nodes' syslog.
      for (const n of Object.values(this.w.nodes))
        if (this.s.daemons[n.name]) n.log('lab', `rgmanager model error on ${id}: ${(e as Error).message}`);
      return undefined;
    } finally {
      this.busy.delete(id);
    }
  }

  isBusy(id: string): boolean {
    return this.busy.has(id);
  }

  private set(id: string, st: Partial<GroupStatus> & { state: GroupState }): void {
    const cur = this.s.groups[id] ?? { state: 'stopped', restarts: [] };
    const next: GroupStatus = { ...cur, ...st };
    if (next.state !== cur.state || !this.s.groups[id]) next.transition = this.w.now();
    if (!('owner' in st)) next.owner = cur.owner;
    if (next.owner === undefined) delete next.owner;
    if (next.last === undefined) delete next.last;
    this.s.groups[id] = next;
    this.w.changed();
  }

  // ---------- daemon start / stop ----------

  /** `rgmanager start` on `node`: the daemon runs and (re)builds the group states if nobody holds them. */
  start(node: string): { ok: boolean; why?: string } {
    const n = this.w.nodes[node];
    if (!n) return { ok: false, why: 'no such node' };
    if (this.daemon(node)) return { ok: true };
    const conf = this.readConf(node);
    if (!conf) return { ok: false, why: 'cluster.conf unreadable' };
    const pid = n.nextPid();
    n.services.rgmanager = pid;
    const first = !Object.keys(this.s.daemons).some((k) => this.daemon(k));
    this.s.daemons[node] = { pid, conf, members: [], quorate: false, checked: {} };
    this.log(node, 'Resource Group Manager Starting');
    if (first) this.s.groups = {};
    this.w.schedule(TICK_MS, 'rgmanager.tick', { node, pid });
    this.w.changed();
    return { ok: true };
  }

  /** The configuration in the node's cluster.conf (undefined when unreadable). */
  readConf(node: string): RmConf | undefined {
    const n = this.w.nodes[node];
    try {
      return parseRmConf(n.fs.readText(CLUSTER_CONF));
    } catch {
      return undefined;
    }
  }

  /**
   * `rgmanager stop` on `node`: every group it owns is stopped (vm: groups first, then the services'
   * trees in reverse), left `stopped` for the peers to evaluate; the daemon exits.
   */
  async stop(node: string): Promise<void> {
    const d = this.daemon(node);
    if (!d) return;
    this.log(node, 'Shutting down');
    d.exiting = true;
    const conf = d.conf;
    const mine = () => conf.groups.filter((g) => this.s.groups[g.id]?.owner === node);
    const order = [
      ...conf.groups.filter((g) => g.kind === 'vm'),
      ...conf.groups.filter((g) => g.kind !== 'vm').reverse(),
    ];
    for (let tries = 0; tries < 600 && mine().length; tries++) {
      for (const g of order) {
        if (this.s.groups[g.id]?.owner !== node) continue;
        await this.exclusive(g.id, () => this.doStop(node, g, 'stopped'));
      }
      if (mine().length) {
        await this.idle();
        await new Promise((r) => setImmediate(r));
      }
    }
    this.log(node, 'Shutdown complete, exiting');
    this.exit(node);
    for (const p of this.rgMembers(node))
      if (p !== node) this.log(p, `Member ${this.nodeId(node, conf)} shutting down`);
  }

  /** The daemon is gone (clean exit, crash, power loss). */
  private exit(node: string): void {
    delete this.s.daemons[node];
    const n = this.w.nodes[node];
    if (n && n.services.rgmanager !== undefined) n.markStopped('rgmanager');
    this.w.scheduler.cancelWhere('rgmanager.tick', (x) => (x as { node: string }).node === node);
    // NOTE: the group states live in DLM lock value blocks: with no daemon left they are gone.
    if (!Object.keys(this.s.daemons).length) {
      this.s.groups = {};
      this.s.downs = [];
    }
    this.w.changed();
  }

  nodeBoot(node: LabNode): void {
    if (this.s.daemons[node.name]) this.exit(node.name);
  }

  nodeDown(node: LabNode): void {
    if (this.s.daemons[node.name]) this.exit(node.name);
  }

  // ---------- the poll ----------

  /** One poll of `node`'s daemon (`rgmanager.tick`). */
  tick(node: string, pid: number): void {
    const d = this.s.daemons[node];
    if (!d || d.pid !== pid) return;
    const n = this.w.nodes[node];
    if (!n?.running) return;
    this.w.schedule(TICK_MS, 'rgmanager.tick', { node, pid });
    const v = this.view();
    if (!v || !v.isMember(node)) {
      if (!n.isRunning('cman')) {
        this.log(node, '#67: Shutting down uncleanly');
        this.exit(node);
      }
      return;
    }
    this.reconfigure(node, d);
    const q = v.quorate(node);
    if (!q && d.quorate) this.log(node, '#1: Quorum Dissolved');
    if (q && !d.quorate) this.quorumGained(node, d);
    d.quorate = q;
    if (!q) return;
    const now = this.members(node);
    for (const m of d.members) if (!now.includes(m) && !this.s.downs.includes(m)) this.s.downs.push(m);
    d.members = now;
    this.handleDowns(node);
    if (this.leader() === node) {
      this.evaluate(node);
      this.failback(node);
    }
    this.checkStatus(node, d);
  }

  /** The daemon that decides for the cluster: the lowest node id among running daemons. */
  private leader(): string | undefined {
    return Object.keys(this.s.daemons)
      .filter((k) => this.daemon(k))
      .sort((a, b) => this.nodeId(a) - this.nodeId(b))[0];
  }

  /** Quorum gained: states are (re)built; `autostart` is evaluated only now (tutorial 3193, 4169). */
  private quorumGained(node: string, d: Daemon): void {
    const others = Object.keys(this.s.daemons).some((k) => k !== node && this.daemon(k) && this.s.daemons[k].quorate);
    if (d.members.length || others) {
      if (d.members.length) this.log(node, 'Quorum Regained');
      // NOTE: regaining quorum re-evaluates autostart: disabled autostart groups become startable.
      if (!others)
        for (const g of d.conf.groups)
          if (g.autostart && this.s.groups[g.id]?.state === 'disabled') this.set(g.id, { state: 'stopped' });
    }
    for (const g of d.conf.groups)
      if (!this.s.groups[g.id]) this.set(g.id, { state: g.autostart ? 'stopped' : 'disabled', restarts: [] });
  }

  /** A new config_version: load it; groups new to the cluster are initialized (tutorial 4097-4107). */
  private reconfigure(node: string, d: Daemon): void {
    const v = this.view();
    const n = this.w.nodes[node];
    let fileVersion: number | undefined;
    try {
      fileVersion = confVersion(n.fs.readText(CLUSTER_CONF));
    } catch {
      return;
    }
    if (fileVersion === undefined || fileVersion === d.conf.version) return;
    if (v?.configVersion) {
      if (v.configVersion(node) === fileVersion) this.load(node, d);
      return;
    }
    // NOTE: rgmanager takes its configuration from cman: an edited file counts once `cman_tool version`
    // runs it (`cman_tool version -r`), not before.
    if (this.asking.has(node)) return;
    this.asking.add(node);
    void this.track(
      sh(n, 'cman_tool version')
        .then((r) => {
          const m = /config (\d+)/.exec(r.out);
          const running = r.code === 0 && m ? Number(m[1]) : r.code === 127 ? fileVersion : undefined;
          const cur = this.s.daemons[node];
          if (cur && cur.pid === d.pid && running === fileVersion) this.load(node, cur);
        })
        .finally(() => this.asking.delete(node)),
    );
  }

  /** Nodes whose daemon is asking cman for the running config version. */
  private asking = new Set<string>();

  /** Load the node's cluster.conf into its daemon; groups new to the cluster are initialized. */
  private load(node: string, d: Daemon): void {
    const conf = this.readConf(node);
    if (!conf) return;
    this.log(node, 'Reconfiguring');
    const oldConf = d.conf;
    const old = new Set(oldConf.groups.map((g) => g.id));
    d.conf = conf;
    // NOTE: the lowest node id initializes new groups (the tutorial's capture is an-node01's, 4099-4107).
    for (const g of conf.groups) {
      if (old.has(g.id) || this.s.groups[g.id] || this.leader() !== node) continue;
      this.log(node, `Initializing ${g.id}`);
      if (g.kind === 'vm') {
        // NOTE: a migratory group added by a reconfiguration is left alone, even when its guest runs.
        this.log(node, `${g.id} was added to the config, but I am not initializing it.`);
        this.set(g.id, { state: 'disabled', restarts: [] });
      } else this.set(g.id, { state: g.autostart ? 'stopped' : 'disabled', restarts: [] });
    }
    for (const id of old) {
      if (conf.groups.some((g) => g.id === id)) continue;
      const st = this.s.groups[id];
      const g = oldConf.groups.find((x) => x.id === id);
      if (st?.owner === node && g) void this.exclusive(id, () => this.doStop(node, g, 'stopped'));
      if (!Object.values(this.s.daemons).some((x) => x.conf.groups.some((y) => y.id === id))) delete this.s.groups[id];
    }
    this.w.changed();
  }

  /** Lost members: once fenced, their groups are marked stopped or taken over (tutorial 5004-5012). */
  private handleDowns(node: string): void {
    const v = this.view();
    // NOTE: a lost member is always fenced before its groups move, even when it is back already
    // (a fence that reboots it fast): what it ran died with it.
    for (const victim of [...this.s.downs]) {
      if (v?.fencePending?.(node, victim) || v?.pendingFence?.(node).some((x) => this.labName(x) === victim)) continue;
      if (this.leader() !== node) continue;
      this.s.downs = this.s.downs.filter((x) => x !== victim);
      const conf = this.s.daemons[node].conf;
      const owned = conf.groups.filter((g) => this.s.groups[g.id]?.owner === victim);
      const take: [Group, string][] = [];
      for (const g of owned) {
        const c = this.candidates(g, node, [victim]);
        if (!c.length) {
          const dom = conf.domains.find((x) => x.name === g.domain);
          if (dom?.restricted) this.log(node, `Marking ${g.id} as stopped: Restricted domain unavailable`);
          this.set(g.id, { state: 'stopped', owner: undefined, last: victim });
        } else take.push([g, c[0]]);
      }
      if (!take.length) continue;
      // NOTE: every group taken over is locked at once so the poll does not start one meanwhile.
      const mine = take.filter(([g]) => !this.busy.has(g.id));
      for (const [g] of mine) {
        this.busy.add(g.id);
        this.set(g.id, { state: 'stopped', owner: undefined, last: victim });
      }
      void this.track(
        (async () => {
          for (const [g, t] of mine)
            this.log(t, `Taking over service ${g.id} from down member ${this.cnName(victim, conf)}`);
          for (const [g, t] of mine) {
            try {
              await this.doStart(t, g, 'quiet');
            } finally {
              this.busy.delete(g.id);
            }
          }
        })(),
      );
    }
  }

  /** Start `stopped` groups on the best node of their domain (autostart, rejoined members). */
  private evaluate(node: string): void {
    const conf = this.s.daemons[node].conf;
    for (const g of conf.groups) {
      const st = this.s.groups[g.id];
      if (!st || st.state !== 'stopped' || this.busy.has(g.id) || this.s.downs.includes(st.last ?? '')) continue;
      const t = this.candidates(g, node)[0];
      if (!t) continue;
      void this.exclusive(g.id, async () => {
        if (this.s.groups[g.id]?.state !== 'stopped') return;
        await this.doStart(t, g, 'stopped');
      });
    }
  }

  /**
   * Failback (groups.c's consider_relocate): a started group moves to a member of its ordered domain
   * with a higher priority than its owner, unless the domain says `nofailback`; a group running
   * outside its (unrestricted) domain moves into it whatever `nofailback` says (tutorial 2953-2958).
   */
  private failback(node: string): void {
    const conf = this.s.daemons[node].conf;
    for (const g of conf.groups) {
      const st = this.s.groups[g.id];
      const dom = g.domain ? conf.domains.find((d) => d.name === g.domain) : undefined;
      if (!dom || st?.state !== 'started' || !st.owner || this.busy.has(g.id) || !this.daemon(st.owner)) continue;
      const prio = (n: string) => dom.nodes.find((x) => this.labName(x.name) === n);
      const best = this.candidates(g, node)[0];
      if (!best || best === st.owner || !prio(best)) continue;
      const outside = !prio(st.owner);
      const better = dom.ordered && !dom.nofailback && (prio(best)!.priority || 99) < (prio(st.owner)!.priority || 99);
      if (!outside && !better) continue;
      const owner = st.owner;
      this.log(
        owner,
        `${g.kind === 'vm' ? 'Migrating' : 'Relocating'} ${g.id} to better node ${this.cnName(best, conf)}`,
      );
      void this.exclusive(g.id, async () => {
        if (this.s.groups[g.id]?.owner !== owner || this.s.groups[g.id]?.state !== 'started') return;
        if (g.kind === 'vm' && (await this.doMigrate(g, best)) === 0) return;
        if ((await this.doStop(owner, g, 'stopped')) === 0) await this.doStart(best, g, 'stopped');
      });
    }
  }

  /** Status checks of the groups `node` owns (vm every 10 s, scripts every 30 s). */
  private checkStatus(node: string, d: Daemon): void {
    const now = this.w.now();
    for (const g of d.conf.groups) {
      const st = this.s.groups[g.id];
      if (st?.state !== 'started' || st.owner !== node || this.busy.has(g.id)) continue;
      const every = g.kind === 'vm' ? VM_STATUS_MS : SCRIPT_STATUS_MS;
      const last = d.checked[g.id];
      if (last === undefined) {
        d.checked[g.id] = now;
        continue;
      }
      if (now - last < every) continue;
      d.checked[g.id] = now;
      void this.exclusive(g.id, async () => {
        const cur = this.s.groups[g.id];
        if (cur?.state !== 'started' || cur.owner !== node) return;
        const r = await agentStatus(this.w.nodes[node], g);
        if (r.rc === 0 || !this.daemon(node)) return;
        if (r.note) this.log(node, r.note);
        if (r.failed)
          this.log(node, `status on ${r.failed.type} "${r.failed.name}" returned ${r.rc} (${ocfText(r.rc)})`);
        await this.recover(node, g);
      });
    }
  }

  // ---------- operations (callers hold the group's lock) ----------

  /** `clusvcadm -d` of a group that runs nowhere: it becomes `disabled` (a failed one is cleared). */
  markDisabled(id: string): void {
    if (this.s.groups[id]) this.set(id, { state: 'disabled', owner: undefined, restarts: [] });
  }

  /**
   * Start `g` on `node`. `how` picks the NOTICE line logged first: `stopped`/`disabled` ("Starting
   * stopped service X"), `recover` ("Recovering failed service X"), `quiet` (caller logged). On failure
   * the tree is stopped and the group is `failed`. Returns the agent's code (0 = started).
   */
  async doStart(node: string, g: Group, how: 'stopped' | 'disabled' | 'recover' | 'quiet'): Promise<number> {
    const n = this.w.nodes[node];
    if (!n || !this.daemon(node)) return 1;
    if (how === 'stopped' || how === 'disabled') this.log(node, `Starting ${how} service ${g.id}`);
    if (how === 'recover') this.log(node, `Recovering failed service ${g.id}`);
    const prev = this.s.groups[g.id];
    this.set(g.id, {
      state: 'starting',
      owner: node,
      ...(prev?.owner && prev.owner !== node ? { last: prev.owner } : {}),
    });
    // NOTE: no check of the other nodes: rgmanager 3.0.12 knows only the group's state, and vm.sh's start
    // looks at the local domain only (see agents.ts): a guest running unmanaged on the peer is started a
    // second time. Guarding against that is the tool's job (vm-services), as it is on real nodes.
    const r: AgentResult = await agentStart(n, g);
    if (r.rc === 0) {
      this.set(g.id, { state: 'started', owner: node });
      delete this.s.daemons[node]?.checked[g.id];
      this.log(node, `Service ${g.id} started`);
      return 0;
    }
    if (r.note) this.log(node, r.note);
    if (r.failed) this.log(node, `start on ${r.failed.type} "${r.failed.name}" returned ${r.rc} (${ocfText(r.rc)})`);
    this.log(node, `#68: Failed to start ${g.id}; return value: ${r.rc}`);
    this.log(node, `Stopping service ${g.id}`);
    this.set(g.id, { state: 'stopping', owner: node });
    await agentStop(n, g);
    this.set(g.id, { state: 'failed', owner: undefined, last: node });
    this.log(node, `Service ${g.id} is failed`);
    return r.rc || 1;
  }

  /** Stop `g` where it runs, leaving it `disabled`, `stopped` or `recovering`. */
  async doStop(node: string, g: Group, to: 'disabled' | 'stopped' | 'recovering'): Promise<number> {
    const st = this.s.groups[g.id];
    const owner = st?.owner ?? node;
    const n = this.w.nodes[owner];
    this.log(owner, `Stopping service ${g.id}`);
    this.set(g.id, { state: 'stopping', owner });
    const r = n?.running ? await agentStop(n, g) : { rc: 0 };
    if (r.rc !== 0) {
      if (r.note) this.log(owner, r.note);
      if (r.failed) this.log(owner, `stop on ${r.failed.type} "${r.failed.name}" returned ${r.rc} (${ocfText(r.rc)})`);
      this.log(owner, `#12: RG ${g.id} failed to stop; intervention required`);
      this.set(g.id, { state: 'failed', owner: undefined, last: owner });
      this.log(owner, `Service ${g.id} is failed`);
      return r.rc;
    }
    this.set(g.id, { state: to, owner: undefined, last: owner, ...(to === 'disabled' ? { restarts: [] } : {}) });
    this.log(owner, `Service ${g.id} is ${to}`);
    return 0;
  }

  /** A started group failed its status check on `node`: stop, then restart or relocate per policy. */
  async recover(node: string, g: Group): Promise<void> {
    await this.doStop(node, g, 'recovering');
    if (this.s.groups[g.id]?.state !== 'recovering') return;
    if (g.recovery === 'disable') {
      this.set(g.id, { state: 'disabled', restarts: [] });
      return;
    }
    const now = this.w.now();
    const st = this.s.groups[g.id];
    const kept = g.restartExpire > 0 ? st.restarts.filter((t) => now - t < g.restartExpire * 1000) : st.restarts;
    if (g.recovery === 'relocate' || (g.maxRestarts > 0 && kept.length >= g.maxRestarts)) {
      this.set(g.id, { state: 'recovering', restarts: [] });
      if (g.recovery === 'restart') this.log(node, `Restart threshold for ${g.id} exceeded; attempting to relocate`);
      await this.relocateFailed(node, g);
      return;
    }
    this.set(g.id, { state: 'recovering', restarts: [...kept, now] });
    if ((await this.doStart(node, g, 'recover')) !== 0) await this.relocateFailed(node, g);
  }

  /** Start a failed group on another member of its domain, else here again; `failed` when nowhere works. */
  private async relocateFailed(node: string, g: Group): Promise<void> {
    for (const t of this.candidates(g, node, [node])) {
      this.set(g.id, { state: 'recovering', owner: undefined, last: node });
      if ((await this.doStart(t, g, 'recover')) === 0) {
        this.log(node, `Service ${g.id} is now running on member ${this.nodeId(t)}`);
        return;
      }
    }
    if (this.s.groups[g.id]?.state === 'recovering' && this.daemon(node) && this.allowed(g, node))
      await this.doStart(node, g, 'recover');
  }

  /** Live-migrate a started vm group to `target` (clusvcadm -M). */
  async doMigrate(g: Group, target: string): Promise<number> {
    const st = this.s.groups[g.id];
    const from = st.owner!;
    const tgt = this.cnName(target);
    this.log(from, `Migrating ${g.id} to ${tgt}`);
    this.set(g.id, { state: 'migrating', owner: from });
    const rc = await agentMigrate(this.w.nodes[from], g, tgt);
    if (rc !== 0) {
      this.log(from, `Migration of ${g.id} to ${tgt} failed; return code ${rc}`);
      this.set(g.id, { state: 'started', owner: from });
      return rc;
    }
    this.set(g.id, { state: 'started', owner: target, last: from });
    delete this.s.daemons[target]?.checked[g.id];
    this.log(from, `Migration of ${g.id} to ${tgt} completed`);
    return 0;
  }
}

/** The world's rgmanager subsystem. */
export function rgmanager(world: World): Rgmanager | undefined {
  return world.sub<Rgmanager>('rgmanager');
}

/** What this module's lab-time timers do, by kind. */
export const RGMANAGER_TIMERS: Readonly<Record<string, TimerHandler>> = {
  ['rgmanager.tick']: (world, data) => {
    const x = data as { node: string; pid: number };
    rgmanager(world)?.tick(x.node, x.pid);
  },
};

/** This subsystem's shared state in the world. */
export const RGMANAGER_STATE: SubsystemState = {
  key: 'rgmanager',
  create: (w, saved) => new Rgmanager(w, saved as Saved | undefined),
};
