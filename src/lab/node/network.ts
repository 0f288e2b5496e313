/**
 * A node's live network: interfaces (lo, ethN, bonds, bridges), addresses, routes, and the bonding
 * driver's behaviour in active-backup mode (MII state per slave, updelay in lab time, primary
 * reselection, link failure counts). `start()`/`stop()` are what /etc/init.d/network does with the
 * ifcfg files; carrier changes come from the world (cables, switches).
 */
import type { NodeFs } from '../fs/node-fs.js';
import { parseShellVars, parseBondingOpts, isNo, isYes, maskToPrefix, classPrefix, sameNet } from './ifcfg.js';

/** A physical NIC: its MAC and where its cable goes. */
export interface NicHw {
  name: string;
  /** Upper-case MAC, e.g. 00:E0:81:C7:EC:49. */
  mac: string;
  switch: 'sw1' | 'sw2';
  port: number;
  /** Cable plugged in. */
  cable: boolean;
}

/** Bonding parameters and slaves of a bond. */
export interface BondState {
  mode: number;
  miimon: number;
  updelay: number;
  downdelay: number;
  useCarrier: number;
  primary?: string;
  slaves: string[];
  active?: string;
}

/** Bonding driver state of one slave. */
export interface SlaveState {
  /** 'back': carrier is back, waiting `updelay` before the link counts as up. */
  link: 'up' | 'down' | 'back';
  /** Lab time (ms) of the last change. */
  since: number;
  failures: number;
}

/** One interface as the kernel sees it. */
export interface IfState {
  name: string;
  kind: 'lo' | 'eth' | 'bond' | 'bridge';
  index: number;
  /** Current MAC, lower-case. */
  mac: string;
  /** Administratively up. */
  up: boolean;
  addrs: { ip: string; prefix: number }[];
  /** Bond (slave) or bridge (port) this interface belongs to. */
  master?: string;
  bond?: BondState;
  slave?: SlaveState;
  ports?: string[];
}

/** A route: default (dest 'default') or a connected network. */
export interface Route {
  dest: string;
  via?: string;
  dev: string;
}

/** Serializable network state. */
export interface NetState {
  ifaces: Record<string, IfState>;
  nextIndex: number;
  routes: Route[];
}

/** What the network needs from its node. */
export interface NetHost {
  readonly name: string;
  readonly fs: NodeFs;
  readonly nics: NicHw[];
  now(): number;
  /** Carrier on a physical NIC (cable, switch, power). */
  carrier(nic: string): boolean;
  /** Append a syslog line (e.g. kernel: bonding: ...). */
  log(tag: string, msg: string): void;
}

const SCRIPTS = '/etc/sysconfig/network-scripts';
const IGNORED = /(~|\.bak|\.orig|\.rpmnew|\.rpmorig|\.rpmsave|\.old)$/;
const MODES: Record<string, number> = {
  'balance-rr': 0,
  'active-backup': 1,
  'balance-xor': 2,
  broadcast: 3,
  '802.3ad': 4,
  'balance-tlb': 5,
  'balance-alb': 6,
};

/** Sort like the network script (`sort -k 1,1 -k 2n` on name/number). */
function ifSort(a: string, b: string): number {
  const [, pa = a, na = ''] = /^(\D*)(\d*)$/.exec(a) ?? [];
  const [, pb = b, nb = ''] = /^(\D*)(\d*)$/.exec(b) ?? [];
  if (pa !== pb) return pa < pb ? -1 : 1;
  return Number(na || -1) - Number(nb || -1);
}

/** The live network of one node. */
export class Network {
  state: NetState;
  constructor(
    private host: NetHost,
    saved?: NetState,
  ) {
    this.state = saved ?? this.fresh();
  }

  /** Power-on state: lo and the NICs present but down, nothing configured. */
  fresh(): NetState {
    const ifaces: Record<string, IfState> = {
      lo: { name: 'lo', kind: 'lo', index: 1, mac: '00:00:00:00:00:00', up: false, addrs: [] },
    };
    this.host.nics.forEach((n, i) => {
      ifaces[n.name] = { name: n.name, kind: 'eth', index: i + 2, mac: n.mac.toLowerCase(), up: false, addrs: [] };
    });
    return { ifaces, nextIndex: this.host.nics.length + 2, routes: [] };
  }

  /** Drop everything (power off / reboot). */
  reset(): void {
    this.state = this.fresh();
  }

  get ifaces(): Record<string, IfState> {
    return this.state.ifaces;
  }

  /** Interfaces in index order. */
  list(): IfState[] {
    this.settle();
    return Object.values(this.state.ifaces).sort((a, b) => a.index - b.index);
  }

  private nic(name: string): NicHw | undefined {
    return this.host.nics.find((n) => n.name === name);
  }

  /** Carrier as the interface reports it (physical, bond, bridge). */
  carrier(name: string): boolean {
    const i = this.state.ifaces[name];
    if (!i || !i.up) return false;
    switch (i.kind) {
      case 'lo':
        return true;
      case 'eth':
        return this.host.carrier(name);
      case 'bond':
        return !!i.bond!.active && this.state.ifaces[i.bond!.active]?.slave?.link === 'up';
      case 'bridge':
        return (i.ports ?? []).some((p) => this.operationalSettled(p));
    }
  }

  /** Up and able to move traffic: admin up with carrier (a slave's traffic goes through its master). */
  operational(name: string): boolean {
    this.settle();
    return this.operationalSettled(name);
  }

  /** {@link operational}, the bonds already settled to now. */
  private operationalSettled(name: string): boolean {
    const i = this.state.ifaces[name];
    if (!i || !i.up) return false;
    if (i.kind === 'eth' && i.master && this.state.ifaces[i.master]?.kind === 'bond') return false;
    return this.carrier(name);
  }

  /** The interface holding an address, if any. */
  ifaceOf(ip: string): IfState | undefined {
    return Object.values(this.state.ifaces).find((i) => i.addrs.some((a) => a.ip === ip));
  }

  /** An operational interface with an address in the same network as `ip` (source for a connection). */
  sourceFor(ip: string): { iface: IfState; ip: string } | undefined {
    // NOTE: settled once for the whole search: the cluster and DRBD models ask this on every timer.
    for (const i of this.list()) {
      if (i.kind === 'lo') continue;
      for (const a of i.addrs)
        if (sameNet(a.ip, ip, a.prefix) && this.operationalSettled(i.name)) return { iface: i, ip: a.ip };
    }
    return undefined;
  }

  // ---------- bonding driver ----------

  /** Apply pending updelay promotions up to now, then reselect active slaves. */
  settle(): void {
    const now = this.host.now();
    for (const b of Object.values(this.state.ifaces)) {
      if (b.kind !== 'bond') continue;
      const bond = b.bond!;
      // NOTE: the usual case, no slave coming back, allocates nothing (this runs on every query).
      if (!bond.slaves.some((s) => this.state.ifaces[s]?.slave?.link === 'back')) {
        this.reselect(b);
        continue;
      }
      const due = bond.slaves
        .map((s) => this.state.ifaces[s])
        .filter((s) => s.slave?.link === 'back' && s.slave.since + bond.updelay <= now)
        .sort((x, y) => x.slave!.since - y.slave!.since);
      for (const s of due) {
        s.slave = { ...s.slave!, link: 'up', since: s.slave!.since + bond.updelay };
        this.host.log('kernel', `${b.name}: link status definitely up for interface ${s.name}, 1000 Mbps full duplex.`);
        this.reselect(b);
      }
      this.reselect(b);
    }
  }

  private reselect(b: IfState): void {
    const bond = b.bond!;
    const link = (n?: string) => (n ? this.state.ifaces[n]?.slave?.link : undefined);
    let next: string | undefined;
    if (bond.primary && bond.slaves.includes(bond.primary) && link(bond.primary) === 'up') next = bond.primary;
    else if (bond.active && link(bond.active) === 'up') next = bond.active;
    else next = bond.slaves.find((s) => link(s) === 'up');
    if (!next) {
      // NOTE: with no slave up, the driver takes one still in updelay at once ("... ms earlier").
      const back = bond.slaves.find((s) => link(s) === 'back');
      if (back) {
        const s = this.state.ifaces[back];
        const early = Math.max(0, s.slave!.since + bond.updelay - this.host.now());
        s.slave = { ...s.slave!, link: 'up', since: this.host.now() };
        this.host.log('kernel', `bonding: ${b.name}: making interface ${back} the new active one ${early} ms earlier.`);
        bond.active = back;
        return;
      }
    }
    if (next !== bond.active) {
      if (next) this.host.log('kernel', `bonding: ${b.name}: making interface ${next} the new active one.`);
      else if (bond.active) this.host.log('kernel', `bonding: ${b.name}: now running without any active interface !`);
      bond.active = next;
    }
  }

  /** The world changed the carrier of a physical NIC. */
  carrierChanged(nic: string): void {
    this.settle();
    const i = this.state.ifaces[nic];
    if (!i) return;
    const up = this.host.carrier(nic);
    if (i.up)
      this.host.log(
        'kernel',
        up
          ? `e1000e: ${nic} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx`
          : `e1000e: ${nic} NIC Link is Down`,
      );
    const b = i.master ? this.state.ifaces[i.master] : undefined;
    if (!b || b.kind !== 'bond' || !i.slave) return;
    const now = this.host.now();
    const bond = b.bond!;
    if (!up) {
      if (i.slave.link === 'up') {
        i.slave = { link: 'down', since: now, failures: i.slave.failures + 1 };
        this.host.log('kernel', `bonding: ${b.name}: link status definitely down for interface ${nic}, disabling it`);
      } else if (i.slave.link === 'back') {
        this.host.log(
          'kernel',
          `bonding: ${b.name}: link status down again after ${now - i.slave.since} ms for interface ${nic}.`,
        );
        i.slave = { ...i.slave, link: 'down', since: now };
      }
    } else if (i.slave.link === 'down') {
      if (bond.updelay > 0) {
        i.slave = { ...i.slave, link: 'back', since: now };
        this.host.log(
          'kernel',
          `bonding: ${b.name}: link status up for interface ${nic}, enabling it in ${bond.updelay} ms.`,
        );
      } else {
        i.slave = { ...i.slave, link: 'up', since: now };
        this.host.log('kernel', `bonding: ${b.name}: link status definitely up for interface ${nic}.`);
      }
    }
    this.reselect(b);
  }

  // ---------- configuration (ifup / ifdown / network start|stop) ----------

  private readCfg(name: string): Record<string, string> | null {
    try {
      return parseShellVars(this.host.fs.readText(`${SCRIPTS}/ifcfg-${name}`));
    } catch {
      return null;
    }
  }

  /** Names of ifcfg files the network script considers (backups ignored), in its order. */
  configured(): string[] {
    let names: string[] = [];
    try {
      names = this.host.fs.readdir(SCRIPTS);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.startsWith('ifcfg-') && !IGNORED.test(n))
      .map((n) => n.slice(6))
      .filter((n) => n !== 'lo')
      .sort(ifSort);
  }

  private ensure(name: string, kind: 'bond' | 'bridge'): IfState {
    let i = this.state.ifaces[name];
    if (!i) {
      i = { name, kind, index: this.state.nextIndex++, mac: '00:00:00:00:00:00', up: false, addrs: [] };
      if (kind === 'bond') i.bond = { mode: 0, miimon: 0, updelay: 0, downdelay: 0, useCarrier: 1, slaves: [] };
      if (kind === 'bridge') i.ports = [];
      this.state.ifaces[name] = i;
    }
    return i;
  }

  private setAddr(i: IfState, cfg: Record<string, string>): void {
    const ip = cfg.IPADDR ?? cfg.IPADDR0;
    if (!ip) return;
    const prefix = cfg.PREFIX ? Number(cfg.PREFIX) : cfg.NETMASK ? maskToPrefix(cfg.NETMASK) : classPrefix(ip);
    i.addrs = [{ ip, prefix }];
    if (cfg.GATEWAY && !isNo(cfg.DEFROUTE)) {
      this.state.routes = this.state.routes.filter((r) => r.dest !== 'default');
      this.state.routes.push({ dest: 'default', via: cfg.GATEWAY, dev: i.name });
    }
  }

  private attachToBridge(i: IfState, bridge: string): void {
    const br = this.ensure(bridge, 'bridge');
    if (!br.ports!.includes(i.name)) br.ports!.push(i.name);
    i.master = bridge;
    i.up = true;
    this.bridgeMac(br);
  }

  private bridgeMac(br: IfState): void {
    const macs = (br.ports ?? [])
      .map((p) => this.state.ifaces[p]?.mac)
      .filter((m): m is string => !!m && m !== '00:00:00:00:00:00');
    if (macs.length) br.mac = macs.sort()[0]!;
  }

  /**
   * `ifup NAME`: configure one interface from its ifcfg file. Returns what ifup prints and whether it
   * worked. `boot`: called by the network script (ONBOOT=no skipped by the caller).
   */
  ifup(name: string): { ok: boolean; out: string } {
    const cfg = this.readCfg(name);
    if (!cfg)
      return { ok: false, out: `/sbin/ifup: configuration for ${name} not found.\nUsage: ifup <device name>\n` };
    const dev = cfg.DEVICE || name;
    if (cfg.TYPE === 'Bridge') {
      const br = this.ensure(dev, 'bridge');
      br.up = true;
      this.setAddr(br, cfg);
      return { ok: true, out: '' };
    }
    if (/^bond\d+$/.test(dev) || cfg.BONDING_OPTS !== undefined || isYes(cfg.BONDING_MASTER))
      return this.bondUp(dev, cfg);
    const nic = this.nic(dev);
    const i = this.state.ifaces[dev];
    if (!nic || !i) return { ok: false, out: `Device ${dev} does not seem to be present, delaying initialization.\n` };
    if (cfg.HWADDR && cfg.HWADDR.toLowerCase() !== nic.mac.toLowerCase())
      return { ok: false, out: `Device ${dev} has different MAC address than expected, ignoring.\n` };
    if (cfg.MASTER && isYes(cfg.SLAVE)) {
      const b = this.state.ifaces[cfg.MASTER];
      if (!b || b.kind !== 'bond') return { ok: false, out: '' };
      this.enslave(b, i);
      return { ok: true, out: '' };
    }
    if (cfg.BRIDGE) {
      this.attachToBridge(i, cfg.BRIDGE);
      return { ok: true, out: '' };
    }
    if ((cfg.BOOTPROTO ?? 'none').toLowerCase() === 'dhcp') {
      i.up = true;
      return { ok: false, out: `\nDetermining IP information for ${dev}... failed.\n` };
    }
    i.up = true;
    this.setAddr(i, cfg);
    return { ok: true, out: '' };
  }

  private bondUp(dev: string, cfg: Record<string, string>): { ok: boolean; out: string } {
    const b = this.ensure(dev, 'bond');
    const o = parseBondingOpts(cfg.BONDING_OPTS ?? '');
    const bond = b.bond!;
    const mode = o.mode ?? '0';
    bond.mode = /^\d+$/.test(mode) ? Number(mode) : (MODES[mode] ?? 0);
    bond.miimon = Number(o.miimon ?? 0);
    bond.updelay = Number(o.updelay ?? 0);
    bond.downdelay = Number(o.downdelay ?? 0);
    bond.useCarrier = Number(o.use_carrier ?? 1);
    bond.primary = o.primary || undefined;
    b.up = true;
    let out = '';
    // NOTE: ifup-eth brings up every ifcfg file whose MASTER names this bond, in file-name order.
    for (const n of this.configured()) {
      const c = this.readCfg(n);
      if (!c || c.MASTER !== dev || !isYes(c.SLAVE)) continue;
      const r = this.ifup(n);
      out += r.out;
    }
    if (cfg.BRIDGE) this.attachToBridge(b, cfg.BRIDGE);
    else this.setAddr(b, cfg);
    this.reselect(b);
    return { ok: true, out };
  }

  private enslave(b: IfState, i: IfState): void {
    const bond = b.bond!;
    if (i.master === b.name) return;
    if (!bond.slaves.length) b.mac = i.mac;
    bond.slaves.push(i.name);
    i.master = b.name;
    i.up = true;
    i.mac = b.mac;
    i.addrs = [];
    const now = this.host.now();
    i.slave = { link: this.host.carrier(i.name) ? 'up' : 'down', since: now, failures: i.slave?.failures ?? 0 };
    this.host.log(
      'kernel',
      `bonding: ${b.name}: enslaving ${i.name} as a backup interface with ${i.slave.link === 'up' ? 'an up' : 'a down'} link.`,
    );
    this.reselect(b);
  }

  /** `ifdown NAME`. */
  ifdown(name: string): { ok: boolean; out: string } {
    const cfg = this.readCfg(name);
    const dev = cfg?.DEVICE || name;
    const i = this.state.ifaces[dev];
    if (!i) return { ok: true, out: '' };
    if (i.kind === 'bond') {
      for (const s of [...i.bond!.slaves]) this.release(i, s);
      if (i.master) this.detachFromBridge(i);
    }
    if (i.kind === 'bridge') for (const p of [...(i.ports ?? [])]) this.detachFromBridge(this.state.ifaces[p]);
    if (i.kind === 'eth' && i.master) {
      const m = this.state.ifaces[i.master];
      if (m?.kind === 'bond') this.release(m, dev);
      else this.detachFromBridge(i);
    }
    i.up = false;
    i.addrs = [];
    this.state.routes = this.state.routes.filter((r) => r.dev !== dev);
    return { ok: true, out: '' };
  }

  private release(b: IfState, slave: string): void {
    const s = this.state.ifaces[slave];
    b.bond!.slaves = b.bond!.slaves.filter((x) => x !== slave);
    if (b.bond!.active === slave) b.bond!.active = undefined;
    if (s) {
      s.master = undefined;
      s.up = false;
      s.mac = this.nic(slave)?.mac.toLowerCase() ?? s.mac;
      s.slave = undefined;
    }
    if (!b.bond!.slaves.length) b.mac = '00:00:00:00:00:00';
    this.reselect(b);
  }

  private detachFromBridge(i: IfState): void {
    const br = i.master ? this.state.ifaces[i.master] : undefined;
    if (br?.kind === 'bridge') br.ports = br.ports!.filter((p) => p !== i.name);
    i.master = undefined;
  }

  /** Interfaces the network script shuts down (configured, up, not a slave). */
  private upConfigured(): string[] {
    return this.configured().filter((n) => {
      const c = this.readCfg(n);
      const dev = c?.DEVICE || n;
      const i = this.state.ifaces[dev];
      return i?.up && !(i.kind === 'eth' && i.master && this.state.ifaces[i.master]?.kind === 'bond');
    });
  }

  /** What `/etc/init.d/network stop` does; returns its lines as [message, ok, extra output]. */
  stop(): [string, boolean, string][] {
    const lines: [string, boolean, string][] = [];
    for (const n of this.upConfigured()) {
      this.ifdown(n);
      lines.push([`Shutting down interface ${n}: `, true, '']);
    }
    for (const i of Object.values(this.state.ifaces)) if (i.kind !== 'lo') this.ifdown(i.name);
    this.state.ifaces.lo.up = false;
    this.state.ifaces.lo.addrs = [];
    lines.push(['Shutting down loopback interface: ', true, '']);
    return lines;
  }

  /** What `/etc/init.d/network start` does. */
  start(): [string, boolean, string][] {
    const lines: [string, boolean, string][] = [];
    const lo = this.state.ifaces.lo;
    lo.up = true;
    lo.addrs = [{ ip: '127.0.0.1', prefix: 8 }];
    lines.push(['Bringing up loopback interface: ', true, '']);
    for (const n of this.configured()) {
      const c = this.readCfg(n);
      if (!c) continue;
      if (isYes(c.SLAVE) && c.MASTER) continue;
      if (isNo(c.ONBOOT)) continue;
      const r = this.ifup(n);
      lines.push([`Bringing up interface ${n}: `, r.ok, r.out]);
    }
    this.settle();
    return lines;
  }
}
