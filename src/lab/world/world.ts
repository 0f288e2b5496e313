/**
 * The lab's shared world: the two nodes, the two switches their NICs are cabled to (link 1 → sw1,
 * link 2 → sw2, uplinked), the IPMI BMCs and switched PDUs, power, lab time, fault injection and
 * serialization. `createWorld` is the factory the lab server and the tests use.
 */
import { EventEmitter } from 'node:events';
import type { Answers } from '../../plan/schema.js';
import type { LabFault, LabWorld } from '../types.js';
import { LabNode, type NodeSaved, type WorldLink } from '../node/node.js';
import type { NicHw } from '../node/network.js';
import { HaltSignal } from '../shell/types.js';
import { seedNode } from '../seed/centos64.js';
import { prefixToMask } from '../node/ifcfg.js';
import { Scheduler, type SchedulerSaved } from './scheduler.js';
import { SUBSYSTEMS, type NodeDownHow, type Subsystem } from './subsystems.js';
// NOTE: the subsystems register their commands, services and state when their modules load.
import '../cluster/index.js';
import { mainsLost, outletOn, powerOn, secretHash } from '../power/power.js';
import { FENCE_AGENTS } from '../cluster/agents.js';
import '../storage/index.js';
import '../virt/index.js';

/** A node's IPMI BMC (fence_ipmilan target), powered from its node's PSU (see cluster/power.ts). */
export interface Bmc {
  node: string;
  ip: string;
  /** Answers requests (a fault can make it silent). */
  up: boolean;
  /** Login the BMC accepts (absent: any). */
  login?: string;
  /** Salted hash of the password it accepts (never the clear text; absent: any). */
  passHash?: string;
}

/** A switched PDU: outlet number → node it powers. */
export interface Pdu {
  name: string;
  ip: string;
  /** Its management answers (a dead PDU still passes power through). */
  up: boolean;
  outlets: Record<string, string>;
  /** Outlets switched off (absent when all are on). */
  off?: string[];
  /** Login/password hash for the telnet/ssh agent (fence_apc); SNMP needs none. */
  login?: string;
  passHash?: string;
}

/** Faults beyond the contract's: a BMC or PDU that stops answering, an outlet cabled to another node, media brought by hand. */
export type LabFaultExtra =
  | { kind: 'bmc'; node: string; up: boolean }
  | { kind: 'pdu'; pdu: string; up: boolean }
  | { kind: 'outlet'; pdu: string; port: string; node: string }
  /** The operator's hands bring a file (install ISO, driver floppy): an image appears at `path`. */
  | { kind: 'media'; node: string; path: string }
  /** Power the switch a node's NIC is cabled to (by the NIC's current name). */
  | { kind: 'switch-for'; node: string; nic: string; up: boolean };

/** Serialized world. */
interface WorldSaved {
  version: 1;
  offset: number;
  switches: Record<'sw1' | 'sw2', boolean>;
  bmcs: Bmc[];
  pdus: Pdu[];
  /** Nodes whose power cords are pulled (`lab fault power NODE off`). */
  unplugged?: string[];
  nodes: NodeSaved[];
  /** Pending lab-time timers (absent in worlds saved before lab time had timers). */
  scheduler?: SchedulerSaved;
  /** Each subsystem's state by key. */
  subsystems?: Record<string, unknown>;
}

const NET_DEVS: [string, 'bcn' | 'sn' | 'ifn', 0 | 1][] = [
  ['eth0', 'bcn', 0],
  ['eth1', 'sn', 0],
  ['eth2', 'ifn', 0],
  ['eth3', 'bcn', 1],
  ['eth4', 'sn', 1],
  ['eth5', 'ifn', 1],
];

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A made-up MAC with a real vendor prefix (Intel 00:1B:21 for add-in cards, 00:E0:81 on board). */
function genMac(r: () => number, link: 0 | 1): string {
  const oui = link === 0 ? '00:E0:81' : '00:1B:21';
  const tail = [0, 0, 0].map(() =>
    Math.floor(r() * 256)
      .toString(16)
      .padStart(2, '0')
      .toUpperCase(),
  );
  return `${oui}:${tail.join(':')}`;
}

/** Node definitions when no answers are given: the tutorial's pair. */
const DEFAULT_NODES = [
  {
    name: 'an-node01',
    bcn: '10.20.0.1',
    ipmi: '10.20.1.1',
    nics: {
      bcn: ['00:E0:81:C7:EC:49', '00:1B:21:9D:59:FC'],
      sn: ['00:E0:81:C7:EC:48', '00:1B:21:BF:70:02'],
      ifn: ['00:E0:81:C7:EC:47', '00:1B:21:BF:6F:FE'],
    },
  },
  { name: 'an-node02', bcn: '10.20.0.2', ipmi: '10.20.1.2', nics: undefined },
];

/** The world. */
export class World implements LabWorld {
  readonly nodes: Record<string, LabNode> = {};
  switches: Record<'sw1' | 'sw2', boolean> = { sw1: true, sw2: true };
  bmcs: Bmc[] = [];
  pdus: Pdu[] = [];
  /** Nodes whose power cords are pulled: no mains for the PSU nor the BMC. */
  unplugged: string[] = [];
  /** Lab time = wall clock + offset (advanced by `advance` and `sleep`). */
  private offset = 0;
  private events = new EventEmitter();
  /** Timers that fire as lab time passes. */
  scheduler = new Scheduler();
  /** Subsystem state by key (cluster, storage, ...). */
  readonly subsystems: Record<string, Subsystem> = {};
  private firing = false;
  private clock: NodeJS.Timeout | null = null;

  constructor() {
    this.events.setMaxListeners(100);
  }

  /** Lab time in ms since the epoch. */
  now(): number {
    return Date.now() + this.offset;
  }

  /**
   * Move lab time forward (updelay timers, uptime), firing every timer that falls due on the way, in
   * order and each at its own time; emits 'change'.
   */
  advance(ms: number): void {
    if (ms <= 0) {
      this.tick();
      return;
    }
    const target = this.now() + ms;
    for (;;) {
      const t = this.scheduler.takeDue(target);
      if (!t) break;
      if (t.at > this.now()) this.offset += t.at - this.now();
      this.fire(t);
    }
    if (target > this.now()) this.offset += target - this.now();
    for (const n of Object.values(this.nodes)) n.net.settle();
    this.changed();
  }

  /** Fire the timers that are due by now (lab time also passes with the wall clock). */
  tick(): void {
    if (this.firing) return;
    let any = false;
    for (;;) {
      const t = this.scheduler.takeDue(this.now());
      if (!t) break;
      any = true;
      this.fire(t);
    }
    if (any) this.changed();
  }

  private fire(t: ReturnType<Scheduler['pending']>[number]): void {
    const was = this.firing;
    this.firing = true;
    try {
      Scheduler.fire(this, t);
    } catch (e) {
      if (!(e instanceof HaltSignal)) throw e;
    } finally {
      this.firing = was;
    }
  }

  /** Run `kind`'s handler with `data` after `delayMs` of lab time; returns the timer id. */
  schedule(delayMs: number, kind: string, data: unknown = null): number {
    return this.scheduler.add(this.now() + Math.max(0, delayMs), kind, data);
  }

  /** Cancel a timer made by `schedule`. */
  cancelTimer(id: number | undefined): void {
    this.scheduler.cancel(id);
  }

  /**
   * Let lab time pass with the wall clock while nobody advances it (a lab serving on its own: a
   * hung node is still fenced after post_join_delay). Stopped by `stopClock`.
   */
  startClock(intervalMs = 250): void {
    if (this.clock) return;
    this.clock = setInterval(() => this.tick(), intervalMs);
    this.clock.unref();
  }

  /** Stop the timer started by `startClock`. */
  stopClock(): void {
    if (this.clock) clearInterval(this.clock);
    this.clock = null;
  }

  /** A subsystem's state (undefined when it is not part of this build). */
  sub<T extends Subsystem>(key: string): T | undefined {
    return this.subsystems[key] as T | undefined;
  }

  /** @internal build every registered subsystem (after the nodes exist). */
  initSubsystems(saved: Record<string, unknown> = {}): void {
    for (const def of SUBSYSTEMS) this.subsystems[def.key] = def.create(this, saved[def.key]);
  }

  /** @internal a node's power event, passed to every subsystem. */
  nodeEvent(node: LabNode, ev: 'boot' | NodeDownHow): void {
    for (const s of Object.values(this.subsystems)) {
      if (ev === 'boot') s.nodeBoot?.(node);
      else s.nodeDown?.(node, ev);
    }
  }

  /** Make lab time at least `t` (concurrent sleeps do not add up). */
  advanceTo(t: number): void {
    const d = t - this.now();
    if (d > 0) this.advance(d);
  }

  private link(): WorldLink {
    return {
      now: () => this.now(),
      advanceTo: (t) => this.advanceTo(t),
      cableCarrier: (nic: NicHw) => nic.cable && this.switches[nic.switch],
      changed: () => this.changed(),
      dropSessions: (n) => this.events.emit('drop-sessions', n),
      nodes: () => Object.values(this.nodes),
      world: () => this,
      tick: () => this.tick(),
      nodeEvent: (n, ev) => this.nodeEvent(n, ev),
    };
  }

  /** @internal add a node (fresh or restored). */
  addNode(init: ConstructorParameters<typeof LabNode>[1]): LabNode {
    const n = new LabNode(this.link(), init);
    this.nodes[n.name] = n;
    return n;
  }

  /** Emit 'change' (state to persist). */
  changed(): void {
    this.events.emit('change');
  }

  /** Listen for 'drop-sessions' (node name) or 'change'. */
  on(event: 'drop-sessions', fn: (node: string) => void): void;
  on(event: 'change', fn: () => void): void;
  on(event: string, fn: (...a: never[]) => void): void {
    this.events.on(event, fn as (...a: unknown[]) => void);
  }

  /** Remove a listener added with `on`. */
  off(event: 'drop-sessions' | 'change', fn: (...a: never[]) => void): void {
    this.events.off(event, fn as (...a: unknown[]) => void);
  }

  private node(name: string): LabNode {
    const n = this.nodes[name];
    if (!n) throw new Error(`no lab node named "${name}" (nodes: ${Object.keys(this.nodes).join(', ')})`);
    return n;
  }

  /** Apply a fault. Power-on boots the node (services per chkconfig, network from ifcfg). */
  fault(f: LabFault | LabFaultExtra): void {
    switch (f.kind) {
      case 'cable': {
        const n = this.node(f.node);
        const nic = n.nics.find((x) => x.name === f.nic);
        if (!nic) throw new Error(`${f.node} has no NIC named ${f.nic}`);
        if (nic.cable === f.up) return;
        nic.cable = f.up;
        if (n.running) n.net.carrierChanged(nic.name);
        break;
      }
      case 'switch': {
        if (!(f.switch in this.switches)) throw new Error(`no switch named ${f.switch}`);
        if (this.switches[f.switch] === f.up) return;
        this.switches[f.switch] = f.up;
        for (const n of Object.values(this.nodes)) {
          if (!n.running) continue;
          for (const nic of n.nics) if (nic.switch === f.switch && nic.cable) n.net.carrierChanged(nic.name);
        }
        break;
      }
      case 'drop-ssh':
        this.node(f.node);
        this.events.emit('drop-sessions', f.node);
        break;
      case 'power': {
        const n = this.node(f.node);
        // NOTE: pulling the cords also kills the BMC (it lives on the node's PSU, tutorial 1768).
        if (f.on) {
          this.unplugged = this.unplugged.filter((x) => x !== f.node);
          powerOn(this, n);
        } else {
          if (!this.unplugged.includes(f.node)) this.unplugged.push(f.node);
          n.powerOff();
        }
        break;
      }
      case 'crash':
        try {
          this.node(f.node).crash();
        } catch (e) {
          if (!(e instanceof HaltSignal)) throw e;
        }
        break;
      case 'bmc': {
        const b = this.bmcs.find((x) => x.node === f.node);
        if (!b) throw new Error(`${f.node} has no BMC`);
        b.up = f.up;
        break;
      }
      case 'switch-for': {
        const nic = this.node(f.node).nics.find((x) => x.name === f.nic);
        if (!nic) throw new Error(`${f.node} has no NIC named ${f.nic}`);
        this.fault({ kind: 'switch', switch: nic.switch, up: f.up });
        return;
      }
      case 'media': {
        const n = this.node(f.node);
        if (!n.running) throw new Error(`${f.node} is not running`);
        const dir = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
        n.fs.mkdirp(dir);
        // NOTE: a small stand-in for the image; the lab only checks it is there and not empty.
        n.fs.writeFile(f.path, `lab install medium ${f.path.split('/').pop()}\n`, 0o644);
        break;
      }
      case 'pdu': {
        const p = this.pdus.find((x) => x.name === f.pdu);
        if (!p) throw new Error(`no PDU named ${f.pdu}`);
        p.up = f.up;
        break;
      }
      case 'outlet': {
        const p = this.pdus.find((x) => x.name === f.pdu);
        if (!p) throw new Error(`no PDU named ${f.pdu} (PDUs: ${this.pdus.map((x) => x.name).join(', ') || 'none'})`);
        this.node(f.node);
        const old = p.outlets[f.port];
        p.outlets[f.port] = f.node;
        // NOTE: the node plugged in gets this outlet's power; the one unplugged may lose its last feed.
        const was = old ? this.nodes[old] : undefined;
        if (was) mainsLost(this, was);
        if (outletOn(p, f.port)) powerOn(this, this.node(f.node));
        break;
      }
    }
    this.changed();
  }

  /** Wait until every node's background jobs (`cmd &`) have run. */
  async settle(): Promise<void> {
    for (const n of Object.values(this.nodes)) await n.settle();
  }

  /** The node that owns an IPv4 address (configured on any interface), if any. */
  nodeByIp(ip: string): LabNode | undefined {
    return Object.values(this.nodes).find((n) => n.net.ifaceOf(ip));
  }

  /** Plain-JSON snapshot of everything: files, services, packages, NIC/switch state, keys, lab time. */
  toJSON(): WorldSaved {
    return {
      version: 1,
      offset: this.offset,
      switches: { ...this.switches },
      bmcs: this.bmcs.map((b) => ({ ...b })),
      pdus: this.pdus.map((p) => ({ ...p, outlets: { ...p.outlets }, ...(p.off ? { off: [...p.off] } : {}) })),
      unplugged: [...this.unplugged],
      nodes: Object.values(this.nodes).map((n) => n.toJSON()),
      scheduler: this.scheduler.toJSON(),
      subsystems: Object.fromEntries(Object.entries(this.subsystems).map(([k, v]) => [k, v.toJSON()])),
    };
  }

  /** @internal restore from `toJSON()` output. */
  restore(s: WorldSaved): void {
    if (!s || s.version !== 1 || !Array.isArray(s.nodes)) throw new Error('not a saved lab world (version 1)');
    this.offset = s.offset;
    this.switches = { ...s.switches };
    this.bmcs = s.bmcs.map((b) => ({ ...b }));
    this.pdus = s.pdus.map((p) => ({ ...p, outlets: { ...p.outlets }, ...(p.off ? { off: [...p.off] } : {}) }));
    this.unplugged = [...(s.unplugged ?? [])];
    for (const n of s.nodes) this.addNode(n);
    this.scheduler = new Scheduler(s.scheduler);
    this.initSubsystems(s.subsystems ?? {});
  }
}

/**
 * The login and password (hashed) a node's BMC accepts: those of the BMC-type fence device its methods
 * use in the answers; the tutorial's root/secret without answers.
 */
function bmcCredentials(a: Answers | undefined, node: string): Pick<Bmc, 'login' | 'passHash'> {
  if (!a) return { login: 'root', passHash: secretHash('secret') };
  for (const m of a.fencing.methods[node] ?? [])
    for (const ref of m.devices) {
      const dev = a.fencing.devices.find((x) => x.name === ref.device) as Record<string, unknown> | undefined;
      if (!dev || FENCE_AGENTS[String(dev.agent)]?.kind !== 'bmc') continue;
      return {
        ...(typeof dev.login === 'string' ? { login: dev.login } : {}),
        ...(typeof dev.passwd === 'string' || typeof dev.passwd === 'number'
          ? { passHash: secretHash(String(dev.passwd)) }
          : {}),
      };
    }
  return {};
}

/**
 * Build the world: restore `saved` (a `toJSON()` snapshot), or seed a fresh pair of minimal CentOS 6.4
 * nodes from the answers (names, domain, BCN addresses, MACs; MACs generated from `seed` when absent).
 */
export function createWorld(opts: { answers?: Answers; saved?: unknown; seed?: number } = {}): World {
  const w = new World();
  if (opts.saved !== undefined) {
    w.restore(opts.saved as WorldSaved);
    return w;
  }
  const a = opts.answers;
  const r = rng(opts.seed ?? 1);
  const domain = a?.cluster.domain ?? 'alteeve.ca';
  const prefix = Number((a?.networks.bcn.cidr ?? '10.20.0.0/16').split('/')[1]);
  const defs = a
    ? a.nodes.map((n) => ({
        name: n.name,
        bcn: n.bcn,
        ipmi: n.ipmi,
        nics: n.nics,
      }))
    : DEFAULT_NODES.map((n) => ({ ...n, nics: n.nics as Record<string, string[]> | undefined }));
  defs.forEach((d, idx) => {
    const nics: NicHw[] = NET_DEVS.map(([dev, net, link], k) => ({
      name: dev,
      mac: (d.nics?.[net]?.[link] ?? genMac(r, link)).toUpperCase(),
      switch: link === 0 ? 'sw1' : 'sw2',
      port: idx * 3 + (k % 3) + 1,
      cable: true,
    }));
    const node = w.addNode({ name: d.name, fqdn: `${d.name}.${domain}`, bcn: d.bcn, nics });
    seedNode(node, { bcnNetmask: prefixToMask(prefix), ...(a ? { disk: a.storage.disk } : {}) });
    w.bmcs.push({ node: d.name, ip: d.ipmi, up: true, ...bmcCredentials(a, d.name) });
  });
  if (a) {
    for (const dev of a.fencing.devices) {
      if (FENCE_AGENTS[dev.agent]?.kind !== 'pdu' && !/pdu/i.test(dev.name)) continue;
      const outlets: Record<string, string> = {};
      for (const [node, methods] of Object.entries(a.fencing.methods))
        for (const m of methods)
          for (const d of m.devices) if (d.device === dev.name && d.port !== undefined) outlets[String(d.port)] = node;
      const host = String(((dev as Record<string, unknown>).ipaddr as string | undefined) ?? dev.name);
      const ip = a.extraHosts.find((h) => h.names.includes(host))?.ip ?? host;
      const login = (dev as Record<string, unknown>).login;
      const passwd = (dev as Record<string, unknown>).passwd;
      w.pdus.push({
        name: dev.name,
        ip,
        up: true,
        outlets,
        ...(typeof login === 'string' ? { login } : {}),
        ...(typeof passwd === 'string' ? { passHash: secretHash(passwd) } : {}),
      });
    }
  }
  w.initSubsystems();
  return w;
}
