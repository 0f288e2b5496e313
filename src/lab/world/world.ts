/**
 * The lab's shared world: the two nodes, the two switches their NICs are cabled to (link 1 → sw1,
 * link 2 → sw2, uplinked), the IPMI BMCs and switched PDUs, power, lab time, fault injection and
 * serialization. A world is built from the subsystems it is given (`LabSubsystem`): their programs,
 * init scripts, packages, /proc files, timers, faults and shared state make up what its nodes run;
 * nothing is registered anywhere by importing a module. `createWorld` (../world.ts) seeds one.
 */
import { EventEmitter } from 'node:events';
import type { LabFault, LabWorld } from '../types.js';
import { LabNode, type NodeDownHow, type NodeInit, type NodeSaved, type WorldLink } from '../node/node.js';
import type { NicHw } from '../node/network.js';
import type { CommandFn } from '../node/command.js';
import type { ServiceDef } from '../node/services.js';
import type { PackageDef } from '../node/packages.js';
import { makeProc, type ProcFileFn } from '../node/proc.js';
import type { ShellProgram } from '../shell/interp.js';
import { HaltSignal } from '../shell/types.js';
import { Scheduler, type SchedulerSaved, type Timer } from './scheduler.js';
import { JobClock, outsideJobs } from './job-clock.js';
import { JsonCopy } from '../store/json-copy.js';

/** A node's IPMI BMC (fence_ipmilan target), powered from its node's PSU (see power/power.ts). */
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

/** Any fault a world can be asked to apply. */
export type AnyFault = LabFault | LabFaultExtra;

/** What applies one kind of fault to a world. */
export type FaultHandler<K extends AnyFault['kind'] = AnyFault['kind']> = (
  world: World,
  f: Extract<AnyFault, { kind: K }>,
) => void;

/** What a timer of one kind does when it fires: the world, its payload and the timer. */
export type TimerHandler = (world: World, data: unknown, timer: Timer) => void;

/** One subsystem's live state in a world. */
export interface Subsystem {
  /** Plain-JSON state, handed back to `create` on restore. */
  toJSON(): unknown;
  /** The node is powering on: runtime state is reset, before its init scripts run. */
  nodeBoot?(node: LabNode): void;
  /** The node lost power or hung: it stops answering (its peers notice through their own timers). */
  nodeDown?(node: LabNode, how: NodeDownHow): void;
  /** The node shuts down in order (an ACPI power button): its K scripts run before the power goes. */
  nodeShutdown?(node: LabNode): void;
}

/** How a subsystem's shared state is built. */
export interface SubsystemState {
  /** Key in the world (`world.sub(key)`) and in world.json. */
  key: string;
  /** Build the state for `world` (fresh when `saved` is undefined). Nodes already exist. */
  create(world: World, saved: unknown): Subsystem;
}

/**
 * A part of the lab, as a value: what it brings to a world. A world is built from a list of them; a
 * later one's program, service or package of the same name replaces an earlier one's.
 */
export interface LabSubsystem {
  /** For messages and for replacing one subsystem by another in a list (`withSubsystems`). */
  readonly name: string;
  /** Programs by implementation name: what a stub `\x7fELF lab:<name>` (a package's `bins`) runs. */
  readonly programs?: Readonly<Record<string, CommandFn>>;
  /**
   * Programs that refine one given by an earlier subsystem (`previous`: undefined when none did;
   * returning undefined leaves the name as it was).
   */
  readonly wraps?: Readonly<Record<string, (previous: CommandFn | undefined) => CommandFn | undefined>>;
  /** Init scripts (by `name`). */
  readonly services?: readonly ServiceDef[];
  /** Packages its repositories offer (by `name`). */
  readonly packages?: readonly PackageDef[];
  /** Generated /proc files by path. */
  readonly procFiles?: Readonly<Record<string, ProcFileFn>>;
  /** What its lab-time timers do, by kind (e.g. `cluster.post-join-delay`). */
  readonly timers?: Readonly<Record<string, TimerHandler>>;
  /** The faults it applies, by kind. */
  readonly faults?: { readonly [K in AnyFault['kind']]?: FaultHandler<K> };
  /** Its shared state in the world. */
  readonly state?: SubsystemState;
}

/**
 * The world a node lives in. The node's link hands it out untyped (the node does not import the
 * world); every node is made by `World.addNode`, whose link returns that world.
 */
export function worldOf(node: LabNode): World {
  return node.world.world() as World;
}

/** Serialized world (what `toJSON` gives and `createWorld({ saved })` restores). */
export interface WorldSaved {
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
  /** The nodes' background jobs and their waits in lab time. */
  readonly jobs: JobClock = new JobClock(this);
  /** Subsystem state by key (cluster, storage, ...). */
  readonly subsystems: Record<string, Subsystem> = {};
  private firing = false;
  private clock: NodeJS.Timeout | null = null;
  /** The subsystems this world was built from, in the order given. */
  readonly given: readonly LabSubsystem[];
  /** Programs by implementation name, from the subsystems (later ones replace or wrap earlier ones). */
  readonly programs: Readonly<Record<string, CommandFn>>;
  /** Init scripts by name, from the subsystems. */
  readonly services: Readonly<Record<string, ServiceDef>>;
  /** Packages the nodes' repositories offer, by name, from the subsystems. */
  readonly packages: Readonly<Record<string, PackageDef>>;
  private readonly procFiles: Readonly<Record<string, ProcFileFn>>;
  private readonly timers: Readonly<Record<string, TimerHandler>>;
  private readonly faults: { readonly [K in AnyFault['kind']]?: FaultHandler<K> };

  constructor(subsystems: readonly LabSubsystem[] = []) {
    this.events.setMaxListeners(100);
    this.given = [...subsystems];
    const programs: Record<string, CommandFn> = {};
    const services: Record<string, ServiceDef> = {};
    const packages: Record<string, PackageDef> = {};
    for (const s of subsystems) {
      Object.assign(programs, s.programs);
      for (const [name, wrap] of Object.entries(s.wraps ?? {})) {
        const fn = wrap(programs[name]);
        if (fn) programs[name] = fn;
      }
      for (const d of s.services ?? []) services[d.name] = d;
      for (const p of s.packages ?? []) packages[p.name] = p;
    }
    this.programs = programs;
    this.services = services;
    this.packages = packages;
    this.procFiles = Object.assign({}, ...subsystems.map((s) => s.procFiles)) as Record<string, ProcFileFn>;
    this.timers = Object.assign({}, ...subsystems.map((s) => s.timers)) as Record<string, TimerHandler>;
    this.faults = Object.assign({}, ...subsystems.map((s) => s.faults)) as World['faults'];
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
      // NOTE: a kind no subsystem of this world handles is dropped (a saved world from an older build).
      // NOTE: a timer that falls due during a job's wait is the world's work, not the job's.
      outsideJobs(() => this.timers[t.kind]?.(this, t.data, t));
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

  /** @internal build the state of every subsystem this world was given (after the nodes exist). */
  initSubsystems(saved: Record<string, unknown> = {}): void {
    for (const { state } of this.given) if (state) this.subsystems[state.key] = state.create(this, saved[state.key]);
  }

  /** @internal an orderly shutdown of a node (ACPI power button), passed to every subsystem. */
  nodeShutdown(node: LabNode): void {
    for (const s of Object.values(this.subsystems)) s.nodeShutdown?.(node);
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
      // NOTE: the shell calls a program with the node that handed it out as ctx.node, so a lab
      // program (typed for a LabNode) is a shell program of that node.
      program: (impl) => this.programs[impl] as ShellProgram | undefined,
      service: (name) => this.services[name],
      tick: () => this.tick(),
      jobs: this.jobs,
      nodeEvent: (n, ev) => this.nodeEvent(n, ev),
    };
  }

  /** @internal add a node (fresh or restored). */
  addNode(init: NodeInit | NodeSaved): LabNode {
    const n = new LabNode(this.link(), init);
    n.fs.proc = makeProc(n, this.procFiles);
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

  /** The node named `name` (an error naming the nodes when there is none). */
  node(name: string): LabNode {
    const n = this.nodes[name];
    if (!n) throw new Error(`no lab node named "${name}" (nodes: ${Object.keys(this.nodes).join(', ')})`);
    return n;
  }

  /** Apply a fault. Power-on boots the node (services per chkconfig, network from ifcfg). */
  fault(f: AnyFault): void {
    const handler = this.faults[f.kind] as FaultHandler | undefined;
    if (handler) {
      handler(this, f);
      this.changed();
      return;
    }
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
      case 'crash':
        try {
          this.node(f.node).crash();
        } catch (e) {
          if (!(e instanceof HaltSignal)) throw e;
        }
        break;
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
      default:
        throw new Error(`no subsystem of this lab applies a "${f.kind}" fault`);
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
    // NOTE: the small parts go through one JsonCopy: unchanged, they are the last snapshot's objects,
    // which the saver's diff passes over (see json-copy.ts).
    return {
      version: 1,
      offset: this.offset,
      ...this.saved.of({
        switches: this.switches,
        bmcs: this.bmcs,
        pdus: this.pdus,
        unplugged: this.unplugged,
        scheduler: this.scheduler.toJSON(),
      }),
      nodes: Object.values(this.nodes).map((n) => n.toJSON()),
      subsystems: Object.fromEntries(Object.entries(this.subsystems).map(([k, v]) => [k, v.toJSON()])),
    };
  }

  private readonly saved = new JsonCopy<Pick<WorldSaved, 'switches' | 'bmcs' | 'pdus' | 'unplugged' | 'scheduler'>>();

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
