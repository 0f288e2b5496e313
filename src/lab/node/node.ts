/**
 * One simulated EL6 node: filesystem, NICs, live network, services, packages, power and hung state,
 * and the shell that runs commands on it. Implements `LabNodeApi` for the SSH server.
 */
import type { LabExecResult, LabNodeApi } from '../types.js';
import { NodeFs } from '../fs/node-fs.js';
import { Network, type NicHw, type NetState } from './network.js';
import { Virt, type VirtState } from './virt.js';
import { startOrder, statusLine } from './rc.js';
import { runInitScript, type ActionResult, type MaybePromise, type ServiceDefFor } from './init-script.js';
import { Shell, type ShellProgram } from '../shell/interp.js';
import { HaltSignal } from '../shell/types.js';
import { BUILTINS } from '../shell/builtins.js';
import { BudgetExceeded, Cancelled, RunBudget } from '../shell/budget.js';
import { syslogTime } from './time.js';
import { inJob, type JobClock } from '../world/job-clock.js';
import { JsonCopy } from '../store/json-copy.js';
import { applyUdevNames, configuredHostname, configuredSelinux } from './boot-config.js';
import { programFor } from './program-for.js';

/** How a node went down. */
export type NodeDownHow = 'poweroff' | 'crash';

/** What a node needs from the world around it. */
export interface WorldLink {
  now(): number;
  /** Advance lab time to at least `t` (sleep). */
  advanceTo(t: number): void;
  /** Carrier of a NIC's cable and switch port. */
  cableCarrier(nic: NicHw): boolean;
  changed(): void;
  dropSessions(node: string): void;
  /** Every node, for ssh/rsync between them. */
  nodes(): LabNode[];
  /**
   * The world itself (subsystems, scheduler), typed by `worldOf` in world/world.ts: the node does not
   * import the world that holds it.
   */
  world(): unknown;
  /**
   * The program an executable stub (`\x7fELF lab:<impl>`) stands for, from the programs the world was
   * built with; undefined when none is.
   */
  program(impl: string): ShellProgram | undefined;
  /** The init script `name` as the world's services define it (undefined: a script it does not know). */
  service(name: string): ServiceDefFor<LabNode> | undefined;
  /** Fire the lab-time timers that are due. */
  tick(): void;
  /** The world's background jobs and their waits in lab time. */
  jobs: JobClock;
  /** Tell the subsystems a node booted or went down. */
  nodeEvent(node: LabNode, ev: 'boot' | NodeDownHow): void;
}

/** Serialized node. */
export interface NodeSaved {
  name: string;
  fqdn: string;
  bcn: string;
  fs: unknown;
  nics: NicHw[];
  power: 'on' | 'off';
  hung: boolean;
  net: NetState;
  virt: VirtState;
  services: Record<string, number>;
  packages: string[];
  hostname: string;
  pid: number;
  bootTime: number;
  disks: Record<string, DiskState>;
  selinux?: 'Enforcing' | 'Permissive' | 'Disabled';
  /** Lab time a powered-on node's firmware and kernel hand over to init (absent: not booting). */
  post?: number;
}

/** A disk's metadata (what parted prints); partitions in bytes, inclusive ends. */
export interface DiskState {
  model: string;
  bytes: number;
  table: 'msdos' | 'gpt' | 'none';
  parts: {
    num: number;
    start: number;
    end: number;
    type: 'primary' | 'extended' | 'logical';
    fs: string;
    flags: string;
  }[];
}

/** How a node is created fresh (see seed/). */
export interface NodeInit {
  name: string;
  fqdn: string;
  bcn: string;
  nics: NicHw[];
}

/** One node of the lab. */
export class LabNode implements LabNodeApi {
  readonly name: string;
  readonly fqdn: string;
  /** The node's BCN address (what the installer connects to). */
  readonly bcn: string;
  readonly fs: NodeFs;
  readonly nics: NicHw[];
  net: Network;
  virt: Virt;
  power: 'on' | 'off' = 'on';
  hung = false;
  /**
   * Set while a node that was powered on is still in its firmware's POST and its kernel's start: the
   * lab time init takes over (`boot`). Powered, but it runs nothing and answers nothing yet.
   */
  post: number | undefined;
  /** Running services → pid (runtime; reset at boot). */
  services: Record<string, number> = {};
  /** Installed package names. */
  packages = new Set<string>();
  hostname: string;
  bootTime: number;
  /** SELinux mode of the running kernel (read from /etc/selinux/config at boot). */
  selinux: 'Enforcing' | 'Permissive' | 'Disabled' = 'Enforcing';
  /** Disks by device name (sda). */
  disks: Record<string, DiskState> = {};
  private pid = 1000;
  private bg: (() => Promise<void>)[] = [];
  /** Command lines running now, not counting those of background jobs. */
  private active = 0;
  private draining: Promise<void> | null = null;
  /** Wakes a drain that waits for its running jobs, so a job queued meanwhile starts at once. */
  private kick: (() => void) | undefined;

  constructor(
    public readonly world: WorldLink,
    init: NodeInit | NodeSaved,
  ) {
    this.name = init.name;
    this.fqdn = init.fqdn;
    this.bcn = init.bcn;
    this.nics = init.nics.map((n) => ({ ...n }));
    const saved = 'fs' in init ? init : undefined;
    // NOTE: the world gives the node its /proc (the files its subsystems generate) once it exists.
    this.fs = new NodeFs(() => world.now(), saved?.fs);
    this.net = new Network(this.netHost(), saved?.net);
    this.virt = new Virt(this, saved?.virt);
    this.hostname = saved?.hostname ?? init.fqdn;
    this.bootTime = saved?.bootTime ?? world.now();
    if (saved) {
      this.power = saved.power;
      this.hung = saved.hung;
      this.services = { ...saved.services };
      this.packages = new Set(saved.packages);
      this.pid = saved.pid;
      this.disks = JSON.parse(JSON.stringify(saved.disks ?? {})) as Record<string, DiskState>;
      this.selinux = saved.selinux ?? 'Enforcing';
      this.post = saved.post;
    }
  }

  private netHost() {
    return {
      name: this.name,
      fs: this.fs,
      nics: this.nics,
      now: () => this.world.now(),
      carrier: (nic: string) => {
        const hw = this.nics.find((n) => n.name === nic);
        return !!hw && this.running && this.world.cableCarrier(hw);
      },
      log: (tag: string, msg: string) => this.log(tag, msg),
    };
  }

  /** Serializable state. */
  private readonly saved = new JsonCopy<Omit<NodeSaved, 'fs'>>();

  toJSON(): NodeSaved {
    // NOTE: the filesystem keeps its own saved form (MemFs.toJSON); the rest is small and copied as JSON.
    return {
      ...this.saved.of({
        name: this.name,
        fqdn: this.fqdn,
        bcn: this.bcn,
        nics: this.nics,
        power: this.power,
        hung: this.hung,
        net: this.net.state,
        virt: this.virt.state,
        services: this.services,
        packages: [...this.packages].sort(),
        hostname: this.hostname,
        pid: this.pid,
        bootTime: this.bootTime,
        disks: this.disks,
        selinux: this.selinux,
        ...(this.post !== undefined ? { post: this.post } : {}),
      }),
      fs: this.fs.toJSON(),
    };
  }

  /** Powered on, booted and not hung: it runs commands. */
  get running(): boolean {
    return this.power === 'on' && !this.hung && this.post === undefined;
  }

  /** Whether an SSH client on the BCN can reach it now (powered, not hung, BCN address up, sshd running). */
  reachable(): boolean {
    if (!this.running || !this.isRunning('sshd')) return false;
    const i = this.net.ifaceOf(this.bcn);
    return !!i && this.net.operational(i.name);
  }

  /** Append a syslog line to /var/log/messages. */
  log(tag: string, msg: string): void {
    try {
      this.fs.mkdirp('/var/log');
      this.fs.appendFile(
        '/var/log/messages',
        `${syslogTime(this.world.now())} ${this.hostname.split('.')[0]} ${tag}: ${msg}\n`,
      );
    } catch {
      /* a broken /var/log must not break the simulation */
    }
  }

  // ---------- processes ----------

  /** A fresh pid. */
  nextPid(): number {
    return ++this.pid;
  }

  /** pid of the shell running commands (for `$$`). */
  get shellPid(): number {
    return this.pid;
  }

  isRunning(service: string): boolean {
    return this.services[service] !== undefined;
  }
  pidOf(service: string): number | undefined {
    return this.services[service];
  }
  markRunning(service: string): void {
    if (this.services[service] === undefined) this.services[service] = this.nextPid();
  }
  markStopped(service: string): void {
    delete this.services[service];
  }

  /**
   * Queue a background job (`cmd &`, a DRBD helper): it starts once the current command line has
   * finished, and runs alongside the node's other jobs (their waits in lab time overlap: job-clock.ts).
   */
  spawn(job: () => Promise<void>): void {
    this.bg.push(job);
    this.world.jobs.queued();
    if (this.draining) this.kick?.();
    else if (!this.active) void this.drain();
  }

  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = (async () => {
      await new Promise((r) => setImmediate(r));
      const live = new Set<Promise<void>>();
      for (;;) {
        while (this.bg.length && this.running) {
          const p: Promise<void> = this.runJob(this.bg.shift()!).finally(() => live.delete(p));
          live.add(p);
        }
        if (!live.size) break;
        const kicked = new Promise<void>((r) => (this.kick = r));
        await Promise.race([...live, kicked]);
      }
      this.kick = undefined;
      this.dropQueued();
      this.draining = null;
      this.world.changed();
    })();
    return this.draining;
  }

  private async runJob(job: () => Promise<void>): Promise<void> {
    try {
      await this.world.jobs.run(this.name, job);
    } catch (e) {
      if (!(e instanceof HaltSignal)) this.log('lab', `background job failed: ${(e as Error).message}`);
    } finally {
      this.world.jobs.done();
    }
  }

  /** Jobs still queued die with the node (never started). */
  private dropQueued(): void {
    const n = this.bg.length;
    this.bg = [];
    if (n) this.world.jobs.done(n);
  }

  /** Resolves once background jobs queued so far have run (tests, CLI). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.pendingBoot) await this.pendingBoot;
      else if (this.booting) await this.booting;
      else if (this.draining || (this.bg.length && this.running)) await (this.draining ?? this.drain());
      else return;
    }
  }

  /** Run an init-script action (start, stop, status, ...) of service `name` on this node. */
  runService(name: string, action: string | undefined, args: string[], script: string): MaybePromise<ActionResult> {
    return runInitScript(this, this.world.service(name), name, action, args, script);
  }

  /** The implementation behind an executable file (stub binary, init script or shell script). */
  programFor(path: string): ShellProgram | undefined {
    return programFor(this, path);
  }

  /** Run one command line as root in /root. */
  async exec(
    cmdline: string,
    opts: { stdin?: string; env?: Record<string, string>; signal?: AbortSignal; maxSteps?: number } = {},
  ): Promise<LabExecResult> {
    const sh = new Shell(this, {
      builtins: BUILTINS,
      env: { ...this.baseEnv(), ...(opts.env ?? {}) },
      cwd: '/root',
      name: 'bash',
      budget: new RunBudget({ signal: opts.signal, maxSteps: opts.maxSteps }),
    });
    return this.runIn(sh, cmdline, opts.stdin ?? '');
  }

  /** A login shell whose cwd, variables and functions persist between lines. */
  session(env: Record<string, string> = {}): {
    exec(line: string, opts?: { stdin?: string; signal?: AbortSignal }): Promise<LabExecResult>;
  } {
    const sh = new Shell(this, { builtins: BUILTINS, env: { ...this.baseEnv(), ...env }, cwd: '/root', name: 'bash' });
    // NOTE: each line gets its own budget, as each line of a login shell is its own command.
    return {
      exec: (line, o = {}) => {
        sh.budget = new RunBudget({ signal: o.signal });
        return this.runIn(sh, line, o.stdin ?? '');
      },
    };
  }

  private async runIn(sh: Shell, cmdline: string, stdin: string): Promise<LabExecResult> {
    this.world.tick();
    if (this.booting) await this.booting;
    if (!this.running)
      throw new Error(
        `${this.name} is ${this.power === 'off' ? 'powered off' : this.post !== undefined ? 'booting' : 'hung'}`,
      );
    let stdout = '';
    let stderr = '';
    // NOTE: a job's own commands do not hold back the node's other jobs (those wait for command lines).
    const foreground = !inJob();
    if (foreground) this.active++;
    let code: number;
    try {
      code = await sh.runScript(cmdline, { stdin, out: (s) => (stdout += s), err: (s) => (stderr += s) });
    } catch (e) {
      if (!(e instanceof HaltSignal)) throw e;
      code = 255;
      // NOTE: a runaway command is killed like a process (SIGKILL: 128 + 9), saying why.
      if (e instanceof BudgetExceeded) {
        code = 137;
        stderr += `bash: ${e.reason}\n`;
      } else if (e instanceof Cancelled) code = 129;
    } finally {
      if (foreground) this.active--;
      this.world.changed();
    }
    if (this.bg.length && !this.active) void this.drain();
    return { code, stdout, stderr };
  }

  /** Environment of a root login shell. */
  baseEnv(): Record<string, string> {
    return {
      HOME: '/root',
      USER: 'root',
      LOGNAME: 'root',
      SHELL: '/bin/bash',
      PATH: '/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin:/root/bin',
      HOSTNAME: this.hostname,
      LANG: 'en_US.UTF-8',
      PWD: '/root',
    };
  }

  // ---------- network service ----------

  /** /etc/init.d/network start */
  networkStart(): ActionResult {
    const lines = this.net.start();
    this.netUp = true;
    this.world.changed();
    return {
      code: lines.every(([, ok]) => ok) ? 0 : 1,
      out: lines.map(([m, ok, extra]) => statusLine(m, ok, extra && ' ' + extra)).join(''),
    };
  }

  /** /etc/init.d/network stop: every session over the network dies. */
  networkStop(): ActionResult {
    const lines = this.net.stop();
    this.netUp = false;
    this.world.dropSessions(this.name);
    this.world.changed();
    return { code: 0, out: lines.map(([m, ok, extra]) => statusLine(m, ok, extra && ' ' + extra)).join('') };
  }

  /** Whether the network service has been started (its subsys lock). */
  netUp = false;

  // ---------- power ----------

  /**
   * Boot: runtime state reset, then runlevel 3 services in link order (network applies ifcfg).
   * Synchronous while every service acts synchronously; otherwise the rest of the boot continues
   * asynchronously and `exec` waits for it.
   */
  boot(): void {
    this.power = 'on';
    this.hung = false;
    this.post = undefined;
    this.services = {};
    applyUdevNames(this.fs, this.nics);
    this.net.reset();
    this.virt.reset();
    this.bootTime = this.world.now();
    this.hostname = configuredHostname(this.fs);
    this.selinux = configuredSelinux(this.fs);
    this.log('kernel', `Linux version 2.6.32-358.el6.x86_64 (mockbuild@c6b8.bsys.dev.centos.org)`);
    this.world.nodeEvent(this, 'boot');
    const names = startOrder(this.fs, 3);
    const step = (i: number): void | Promise<void> => {
      for (; i < names.length; i++) {
        if (!this.running) return;
        const name = names[i];
        let r: MaybePromise<ActionResult>;
        try {
          r = this.runService(name, 'start', [], `/etc/rc3.d/S??${name}`);
        } catch (e) {
          this.log('init', `${name}: ${(e as Error).message}`);
          continue;
        }
        if (r instanceof Promise) {
          const next = i + 1;
          return r
            .then(
              (x) => this.bootResult(name, x),
              (e: Error) => this.log('init', `${name}: ${e.message}`),
            )
            .then(() => step(next));
        }
        this.bootResult(name, r);
      }
      this.world.changed();
    };
    const p = step(0);
    if (p instanceof Promise) this.booting = p.finally(() => (this.booting = null));
  }

  private bootResult(name: string, r: ActionResult): void {
    if (r.code !== 0) this.log('init', `${name}: ${r.out.trim().split('\n').pop()}`);
  }

  /** Set while an asynchronous part of the boot is still running. */
  booting: Promise<void> | null = null;
  private pendingBoot: Promise<void> | null = null;

  /** Cut the power: everything runtime is lost, sessions die. */
  powerOff(): void {
    if (this.power === 'off') return;
    const wasRunning = this.running;
    this.power = 'off';
    this.hung = false;
    this.post = undefined;
    this.services = {};
    this.dropQueued();
    this.world.jobs.wakeNode(this.name);
    this.net.reset();
    this.virt.reset();
    // NOTE: a hung node's sessions already died with it.
    if (wasRunning) this.world.dropSessions(this.name);
    if (wasRunning) this.world.nodeEvent(this, 'poweroff');
    this.world.changed();
  }

  /** Kernel panic / sysrq crash: the node stops answering until power-cycled. */
  crash(): void {
    if (!this.running) return;
    this.hung = true;
    this.dropQueued();
    this.world.jobs.wakeNode(this.name);
    this.world.dropSessions(this.name);
    this.world.nodeEvent(this, 'crash');
    this.world.changed();
    // NOTE: carriers stay up (the NICs are powered) but nothing answers; peers see the links up.
    throw new HaltSignal(`${this.name} crashed`);
  }

  /**
   * `reboot`: the node goes down now (sessions dropped, the running command line stops) and boots
   * again once the caller has unwound, at the same instant of lab time: a boot takes no lab time in
   * the lab, as a power-on does (`powerOn`), and no real time (issue 18: the lab spends none where it
   * knows the answer). FIDELITY.md lists the deviation.
   */
  reboot(): never {
    this.powerOff();
    // NOTE: the halted command line unwinds through promise continuations (microtasks); setImmediate
    // runs after them, so the boot never meets the old command line, yet waits no real millisecond.
    this.pendingBoot = new Promise<void>((resolve) =>
      setImmediate(() => {
        if (this.power === 'off') this.boot();
        this.pendingBoot = null;
        resolve(this.booting ?? undefined);
      }),
    );
    throw new HaltSignal(`${this.name} is rebooting`);
  }
}
