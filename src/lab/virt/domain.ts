/**
 * A libvirt domain definition (the parts the tutorial's guests use) and its XML, as libvirt writes it
 * for `virsh dumpxml`: the running form with runtime data (`id='2'`, aliases, `vnet0`, pty paths, the
 * VNC port; tutorial 3376-3440, 3768-3850) and the inactive form (`--inactive`, a shut-off domain).
 * Plain JSON, so the world can save it.
 */
import { createHash } from 'node:crypto';
import { child, childText, children, esc, parseXml, type XmlEl } from './xml.js';

/** Attributes of an `<address>` in libvirt's order (type first). */
export type Address = [string, string][];

/** One `<disk>`. */
export interface DiskDef {
  type: 'block' | 'file';
  device: 'disk' | 'cdrom' | 'floppy';
  driver: { name: string; type: string; cache?: string; io?: string };
  /** Device or file path; absent for an empty (ejected) cdrom/floppy. */
  source?: string;
  target: { dev: string; bus: string };
  readonly?: boolean;
  address?: Address;
}

/** One `<interface>`. */
export interface IfaceDef {
  type: 'bridge' | 'network';
  mac: string;
  /** Bridge (type bridge) or network name. */
  source: string;
  /** `virtio`, `e1000`...; absent = hypervisor default (rtl8139). */
  model?: string;
  address?: Address;
}

/** One `<controller>`. */
export interface ControllerDef {
  type: string;
  index: string;
  address?: Address;
}

/** A domain definition. */
export interface DomainDef {
  type: string;
  name: string;
  uuid: string;
  /** KiB. */
  memory: number;
  currentMemory: number;
  vcpu: number;
  os: {
    arch: string;
    machine: string;
    type: string;
    kernel?: string;
    initrd?: string;
    cmdline?: string;
    boot: string[];
    bootmenu?: boolean;
  };
  features: string[];
  clock: { offset: string; timers: [string, string][][] };
  onPoweroff: string;
  onReboot: string;
  onCrash: string;
  emulator: string;
  disks: DiskDef[];
  controllers: ControllerDef[];
  interfaces: IfaceDef[];
  /** A pty serial port with its console. */
  serial: boolean;
  /** USB tablet (virt-install adds one for VNC guests). */
  tablet: boolean;
  graphics?: { type: string; autoport: boolean; port?: number };
  video?: { model: string; vram: number; heads: number; address?: Address };
  memballoon?: { model: string; address?: Address };
}

/** What a running instance adds to its definition. */
export interface Runtime {
  id: number;
  /** Tap device per interface (vnet0...). */
  vnets: string[];
  /** Pty of the serial console (/dev/pts/N). */
  pty: string;
  /** VNC port (5900 + display). */
  vncPort: number;
}

/** Deterministic hex from a seed (uuids and MACs are stable per world and name, like a seeded RNG). */
function hex(seed: string, n: number): string {
  let out = '';
  for (let i = 0; out.length < n; i++) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, n);
}

/** A UUID as virt-install generates it (random; here derived from `seed`). */
export function makeUuid(seed: string): string {
  const h = hex(`uuid:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A MAC in QEMU's 52:54:00 range (random; here derived from `seed`). */
export function makeMac(seed: string): string {
  const h = hex(`mac:${seed}`, 6);
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

const pci = (slot: number, fn = 0): Address => [
  ['type', 'pci'],
  ['domain', '0x0000'],
  ['bus', '0x00'],
  ['slot', `0x${slot.toString(16).padStart(2, '0')}`],
  ['function', `0x${fn.toString(16)}`],
];
const drive = (controller: number, bus: number, unit: number): Address => [
  ['type', 'drive'],
  ['controller', String(controller)],
  ['bus', String(bus)],
  ['unit', String(unit)],
];

/**
 * Give devices without an address one, as libvirt does when it defines a domain: the IDE controller
 * at 00:01.1, video at slot 2, then NICs, virtio disks and the balloon on the next free slots
 * (tutorial: net 0x03, vda 0x04, balloon 0x05); IDE/floppy drives by controller, bus and unit.
 */
export function assignAddresses(d: DomainDef): void {
  const used = new Set<number>([0, 1]);
  const take = (): number => {
    let s = 2;
    while (used.has(s)) s++;
    used.add(s);
    return s;
  };
  const all = [
    ...d.interfaces,
    ...d.disks,
    ...d.controllers,
    ...(d.video ? [d.video] : []),
    ...(d.memballoon ? [d.memballoon] : []),
  ];
  for (const x of all) {
    const slot = x.address?.find(([k]) => k === 'slot')?.[1];
    if (x.address?.[0]?.[1] === 'pci' && slot) used.add(parseInt(slot, 16));
  }
  if (d.video && !d.video.address) {
    d.video.address = pci(used.has(2) ? take() : 2);
    used.add(2);
  }
  for (const c of d.controllers) if (c.type === 'ide' && !c.address) c.address = pci(1, 1);
  for (const n of d.interfaces) if (!n.address) n.address = pci(take());
  for (const k of d.disks) {
    if (k.address) continue;
    if (k.target.bus === 'virtio') k.address = pci(take());
    else if (k.target.bus === 'ide') {
      const i = k.target.dev.charCodeAt(2) - 97;
      k.address = drive(0, Math.floor(i / 2), i % 2);
    } else if (k.target.bus === 'fdc') k.address = drive(0, 0, k.target.dev.charCodeAt(2) - 97);
  }
  if (d.memballoon && !d.memballoon.address) d.memballoon.address = pci(take());
  // NOTE: the controllers a drive needs exist even when the XML did not list them.
  const need = (type: string) => d.disks.some((k) => k.target.bus === type);
  if (need('fdc') && !d.controllers.some((c) => c.type === 'fdc')) d.controllers.push({ type: 'fdc', index: '0' });
  if (need('ide') && !d.controllers.some((c) => c.type === 'ide'))
    d.controllers.push({ type: 'ide', index: '0', address: pci(1, 1) });
  d.controllers.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** QEMU's alias of a disk (virtio-disk0, ide0-1-0, fdc0-0-0). */
export function diskAlias(k: DiskDef): string {
  const i = k.target.dev.charCodeAt(2) - 97;
  if (k.target.bus === 'virtio') return `virtio-disk${i}`;
  if (k.target.bus === 'ide') return `ide0-${Math.floor(i / 2)}-${i % 2}`;
  if (k.target.bus === 'fdc') return `fdc0-0-${i}`;
  return `${k.target.bus}-disk${i}`;
}

const attrs = (a: Address) => a.map(([k, v]) => ` ${k}='${esc(v)}'`).join('');

/**
 * The XML libvirt prints for the domain: with `rt` the running form (id, aliases, tap names, ptys,
 * VNC port), without it the inactive form. Ends with a newline.
 */
export function domainXml(d: DomainDef, rt?: Runtime): string {
  const o: string[] = [];
  const alias = (name: string, ind: string) => {
    if (rt) o.push(`${ind}<alias name='${name}'/>`);
  };
  o.push(`<domain type='${esc(d.type)}'${rt ? ` id='${rt.id}'` : ''}>`);
  o.push(`  <name>${esc(d.name)}</name>`, `  <uuid>${d.uuid}</uuid>`);
  o.push(
    `  <memory>${d.memory}</memory>`,
    `  <currentMemory>${d.currentMemory}</currentMemory>`,
    `  <vcpu>${d.vcpu}</vcpu>`,
  );
  o.push('  <os>', `    <type arch='${esc(d.os.arch)}' machine='${esc(d.os.machine)}'>${esc(d.os.type)}</type>`);
  if (d.os.kernel) o.push(`    <kernel>${esc(d.os.kernel)}</kernel>`);
  if (d.os.initrd) o.push(`    <initrd>${esc(d.os.initrd)}</initrd>`);
  if (d.os.cmdline) o.push(`    <cmdline>${esc(d.os.cmdline)}</cmdline>`);
  for (const b of d.os.boot) o.push(`    <boot dev='${esc(b)}'/>`);
  if (d.os.bootmenu) o.push("    <bootmenu enable='yes'/>");
  o.push('  </os>');
  if (d.features.length) o.push('  <features>', ...d.features.map((f) => `    <${f}/>`), '  </features>');
  if (d.clock.timers.length)
    o.push(
      `  <clock offset='${esc(d.clock.offset)}'>`,
      ...d.clock.timers.map((t) => `    <timer${attrs(t)}/>`),
      '  </clock>',
    );
  else o.push(`  <clock offset='${esc(d.clock.offset)}'/>`);
  o.push(
    `  <on_poweroff>${d.onPoweroff}</on_poweroff>`,
    `  <on_reboot>${d.onReboot}</on_reboot>`,
    `  <on_crash>${d.onCrash}</on_crash>`,
  );
  o.push('  <devices>', `    <emulator>${esc(d.emulator)}</emulator>`);
  for (const k of d.disks) {
    o.push(`    <disk type='${k.type}' device='${k.device}'>`);
    const dr = k.driver;
    o.push(
      `      <driver name='${esc(dr.name)}' type='${esc(dr.type)}'${dr.cache ? ` cache='${esc(dr.cache)}'` : ''}${dr.io ? ` io='${esc(dr.io)}'` : ''}/>`,
    );
    if (k.source) o.push(`      <source ${k.type === 'block' ? 'dev' : 'file'}='${esc(k.source)}'/>`);
    o.push(`      <target dev='${esc(k.target.dev)}' bus='${esc(k.target.bus)}'/>`);
    if (k.readonly) o.push('      <readonly/>');
    alias(diskAlias(k), '      ');
    if (k.address) o.push(`      <address${attrs(k.address)}/>`);
    o.push('    </disk>');
  }
  for (const c of d.controllers) {
    if (!rt && !c.address) {
      o.push(`    <controller type='${esc(c.type)}' index='${esc(c.index)}'/>`);
      continue;
    }
    o.push(`    <controller type='${esc(c.type)}' index='${esc(c.index)}'>`);
    alias(`${c.type}${c.index}`, '      ');
    if (c.address) o.push(`      <address${attrs(c.address)}/>`);
    o.push('    </controller>');
  }
  d.interfaces.forEach((n, i) => {
    o.push(`    <interface type='${n.type}'>`, `      <mac address='${n.mac}'/>`);
    o.push(`      <source ${n.type === 'bridge' ? 'bridge' : 'network'}='${esc(n.source)}'/>`);
    if (rt) o.push(`      <target dev='${rt.vnets[i] ?? `vnet${i}`}'/>`);
    if (n.model) o.push(`      <model type='${esc(n.model)}'/>`);
    alias(`net${i}`, '      ');
    if (n.address) o.push(`      <address${attrs(n.address)}/>`);
    o.push('    </interface>');
  });
  if (d.serial) {
    o.push("    <serial type='pty'>");
    if (rt) o.push(`      <source path='${rt.pty}'/>`);
    o.push("      <target port='0'/>");
    alias('serial0', '      ');
    o.push('    </serial>');
    o.push(rt ? `    <console type='pty' tty='${rt.pty}'>` : "    <console type='pty'>");
    if (rt) o.push(`      <source path='${rt.pty}'/>`);
    o.push("      <target type='serial' port='0'/>");
    alias('serial0', '      ');
    o.push('    </console>');
  }
  if (d.tablet) {
    if (rt) o.push("    <input type='tablet' bus='usb'>", "      <alias name='input0'/>", '    </input>');
    else o.push("    <input type='tablet' bus='usb'/>");
  }
  o.push("    <input type='mouse' bus='ps2'/>");
  if (d.graphics) {
    const port = rt && d.graphics.type === 'vnc' ? rt.vncPort : d.graphics.autoport ? -1 : (d.graphics.port ?? -1);
    o.push(
      `    <graphics type='${esc(d.graphics.type)}' port='${port}' autoport='${d.graphics.autoport ? 'yes' : 'no'}'/>`,
    );
  }
  if (d.video) {
    o.push(
      '    <video>',
      `      <model type='${esc(d.video.model)}' vram='${d.video.vram}' heads='${d.video.heads}'/>`,
    );
    alias('video0', '      ');
    if (d.video.address) o.push(`      <address${attrs(d.video.address)}/>`);
    o.push('    </video>');
  }
  if (d.memballoon) {
    o.push(`    <memballoon model='${esc(d.memballoon.model)}'>`);
    alias('balloon0', '      ');
    if (d.memballoon.address) o.push(`      <address${attrs(d.memballoon.address)}/>`);
    o.push('    </memballoon>');
  }
  o.push('  </devices>', '</domain>');
  return o.join('\n') + '\n';
}

/** Why a definition was refused (libvirt's message without the `error: ` prefix). */
export class DefineError extends Error {}

const addr = (el: XmlEl | undefined): Address | undefined => {
  const a = child(el, 'address');
  return a ? Object.entries(a.attrs) : undefined;
};

/** Memory in KiB from `<memory unit='...'>N</memory>` (default KiB). */
function kib(el: XmlEl | undefined): number | undefined {
  if (!el) return undefined;
  const n = Number(el.text.trim());
  if (!Number.isFinite(n)) return undefined;
  const unit = (el.attrs.unit ?? 'KiB').toLowerCase();
  const mult: Record<string, number> = {
    b: 1 / 1024,
    bytes: 1 / 1024,
    k: 1,
    kib: 1,
    kb: 1000 / 1024,
    m: 1024,
    mib: 1024,
    g: 1048576,
    gib: 1048576,
  };
  return Math.round(n * (mult[unit] ?? 1));
}

/**
 * Read a definition from XML as `virsh define` does: runtime data (id, aliases, tap names, ptys,
 * an automatic VNC port) is dropped; devices without an address get one. `seed` makes the uuid
 * and MACs when the XML has none.
 */
export function parseDomainXml(text: string, seed: string): DomainDef {
  const root = parseXml(text);
  if (root.name !== 'domain')
    throw new DefineError(`XML error: unexpected root element <${root.name}>, expecting <domain>`);
  const name = childText(root, 'name');
  if (!name) throw new DefineError('XML error: missing name information');
  const type = root.attrs.type;
  if (!type) throw new DefineError('XML error: missing domain type attribute');
  const os = child(root, 'os');
  const osType = child(os, 'type');
  const memory = kib(child(root, 'memory'));
  if (memory === undefined) throw new DefineError('XML error: missing memory element');
  const devs = child(root, 'devices');
  const disks: DiskDef[] = children(devs, 'disk').map((k) => {
    const src = child(k, 'source');
    const dr = child(k, 'driver');
    const tg = child(k, 'target');
    if (!tg?.attrs.dev) throw new DefineError('XML error: missing target definition');
    const dev = tg.attrs.dev;
    const bus =
      tg.attrs.bus ??
      (dev.startsWith('vd') ? 'virtio' : dev.startsWith('fd') ? 'fdc' : dev.startsWith('hd') ? 'ide' : 'scsi');
    const source = src?.attrs.dev ?? src?.attrs.file;
    return {
      type: k.attrs.type === 'block' ? 'block' : 'file',
      device: (k.attrs.device ?? 'disk') as DiskDef['device'],
      driver: {
        name: dr?.attrs.name ?? 'qemu',
        type: dr?.attrs.type ?? 'raw',
        ...(dr?.attrs.cache ? { cache: dr.attrs.cache } : {}),
        ...(dr?.attrs.io ? { io: dr.attrs.io } : {}),
      },
      ...(source ? { source } : {}),
      target: { dev, bus },
      ...(child(k, 'readonly') ? { readonly: true } : {}),
      ...(addr(k) ? { address: addr(k) } : {}),
    };
  });
  const interfaces: IfaceDef[] = children(devs, 'interface').map((n, i) => {
    const s = child(n, 'source');
    const model = child(n, 'model')?.attrs.type;
    return {
      type: n.attrs.type === 'network' ? 'network' : 'bridge',
      mac: (child(n, 'mac')?.attrs.address ?? makeMac(`${seed}:${i}`)).toLowerCase(),
      source: s?.attrs.bridge ?? s?.attrs.network ?? '',
      ...(model ? { model } : {}),
      ...(addr(n) ? { address: addr(n) } : {}),
    };
  });
  const g = child(devs, 'graphics');
  const v = child(child(devs, 'video'), 'model');
  const mb = child(devs, 'memballoon');
  const clock = child(root, 'clock');
  const d: DomainDef = {
    type,
    name,
    uuid: (childText(root, 'uuid') ?? makeUuid(seed)).toLowerCase(),
    memory,
    currentMemory: kib(child(root, 'currentMemory')) ?? memory,
    vcpu: Number(childText(root, 'vcpu') ?? 1) || 1,
    os: {
      arch: osType?.attrs.arch ?? 'x86_64',
      machine: osType?.attrs.machine ?? 'rhel6.4.0',
      type: osType?.text.trim() || 'hvm',
      ...(childText(os, 'kernel') ? { kernel: childText(os, 'kernel') } : {}),
      ...(childText(os, 'initrd') ? { initrd: childText(os, 'initrd') } : {}),
      ...(childText(os, 'cmdline') ? { cmdline: childText(os, 'cmdline') } : {}),
      boot: children(os, 'boot').map((b) => b.attrs.dev ?? 'hd'),
      ...(child(os, 'bootmenu')?.attrs.enable === 'yes' ? { bootmenu: true } : {}),
    },
    features: (child(root, 'features')?.children ?? []).map((f) => f.name),
    clock: {
      offset: clock?.attrs.offset ?? 'utc',
      timers: children(clock, 'timer').map((t) => Object.entries(t.attrs)),
    },
    onPoweroff: childText(root, 'on_poweroff') ?? 'destroy',
    onReboot: childText(root, 'on_reboot') ?? 'restart',
    onCrash: childText(root, 'on_crash') ?? 'restart',
    emulator: childText(devs, 'emulator') ?? '/usr/libexec/qemu-kvm',
    disks,
    controllers: children(devs, 'controller').map((c) => ({
      type: c.attrs.type ?? 'ide',
      index: c.attrs.index ?? '0',
      ...(addr(c) ? { address: addr(c) } : {}),
    })),
    interfaces,
    serial: children(devs, 'serial').length > 0 || children(devs, 'console').length > 0,
    tablet: children(devs, 'input').some((x) => x.attrs.type === 'tablet'),
    ...(g
      ? {
          graphics: {
            type: g.attrs.type ?? 'vnc',
            autoport: g.attrs.autoport === 'yes' || g.attrs.port === '-1',
            ...(g.attrs.port && g.attrs.port !== '-1' ? { port: Number(g.attrs.port) } : {}),
          },
        }
      : {}),
    ...(v
      ? {
          video: {
            model: v.attrs.type ?? 'cirrus',
            vram: Number(v.attrs.vram ?? 9216),
            heads: Number(v.attrs.heads ?? 1),
            ...(addr(child(devs, 'video')) ? { address: addr(child(devs, 'video')) } : {}),
          },
        }
      : {}),
    ...(mb && mb.attrs.model !== 'none'
      ? { memballoon: { model: mb.attrs.model ?? 'virtio', ...(addr(mb) ? { address: addr(mb) } : {}) } }
      : {}),
  };
  if (!d.os.boot.length && !d.os.kernel) d.os.boot = ['hd'];
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(d.uuid))
    throw new DefineError(`XML error: malformed uuid element`);
  assignAddresses(d);
  return d;
}

/** A deep copy (definitions are plain JSON). */
export function cloneDef(d: DomainDef): DomainDef {
  return JSON.parse(JSON.stringify(d)) as DomainDef;
}
