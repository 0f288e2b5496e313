/**
 * virt-install (python-virtinst 0.600 on EL6) as the tutorial's provision scripts call it
 * (3310-3321, 3696-3707): a network install (`--location` + `--extra-args ks=...`) prints 3351-3358
 * and returns while the guest installs (the guest is left shut off when its installer reboots); a
 * media install (`--cdrom`, Windows) prints 3718-3721 and waits, in lab time, through both install
 * stages, then restarts the guest ("Guest installation complete... restarting guest."). The domain
 * is defined (final definition) and started with the installer's boot configuration; the install ends
 * in lab time (see model.ts). Source: python-virtinst 0.600.0 (git b29042a), virt-install
 * start_install() and check_domain(), virtinst/Guest.py continue_install(), virtinst/osdict.py.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { parseOpts, val } from '../commands/util.js';
import { assignAddresses, cloneDef, makeMac, makeUuid, type DiskDef, type DomainDef } from './domain.js';
import { VirtError, diskReady, virtModel } from './model.js';
import { worldOf } from '../world/world.js';

const VALUED = [
  'connect',
  'name',
  'n',
  'ram',
  'r',
  'arch',
  'vcpus',
  'location',
  'l',
  'extra-args',
  'x',
  'os-type',
  'os-variant',
  'disk',
  'network',
  'w',
  'cdrom',
  'c',
  'graphics',
  'boot',
  'wait',
  'cpuset',
  'description',
  'mac',
  'm',
  'file',
  'f',
  'file-size',
  's',
  'vnclisten',
  'keymap',
  'k',
  'bridge',
  'b',
  'virt-type',
  'machine',
  'console',
  'serial',
  'video',
  'sound',
  'host-device',
  'initrd-inject',
];

// NOTE: the machine type of the tutorial's captures (3382); the dumped XML follows them.
const MACHINE = 'rhel6.2.0';

const meter = (label: string, size: string, time: string, tail: string) =>
  `${label.padEnd(57)}| ${size.padStart(6)}     ${time} ${tail}\n`;

function err(ctx: CmdCtx, msg: string): number {
  ctx.err(`ERROR    ${msg}\n`);
  return 1;
}

/** `key=value,...` of a --disk/--network option (a bare path is `path=`). */
function kv(spec: string, first: string): Record<string, string> {
  const out: Record<string, string> = {};
  spec.split(',').forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0 && i === 0) out[first] = part;
    else if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
    else out[part] = '';
  });
  return out;
}

/** Whether a path can back a guest disk on this node (LV active, file present). */
function present(ctx: CmdCtx, path: string): boolean {
  return diskReady(worldOf(ctx.node), ctx.node.name, path);
}

const virtInstall: CommandFn = async (ctx) => {
  const p = parseOpts(ctx.argv.slice(1), VALUED);
  const world = worldOf(ctx.node);
  const model = virtModel(world);
  if (!model) return err(ctx, 'the lab has no libvirt');
  if (!ctx.node.isRunning('libvirtd'))
    return err(ctx, "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
  const name = val(p, 'name', 'n');
  if (!name) return err(ctx, '--name is required');
  const ram = Number(val(p, 'ram', 'r'));
  if (!val(p, 'ram', 'r')) return err(ctx, '--ram amount in MB is required');
  if (!Number.isInteger(ram) || ram <= 0) return err(ctx, `Error: --ram must be an integer (${val(p, 'ram', 'r')})`);
  const location = val(p, 'location', 'l');
  const cdrom = val(p, 'cdrom', 'c');
  if (!location && !cdrom && !p.flags.has('import') && !p.flags.has('pxe'))
    return err(
      ctx,
      'An install method must be specified\n(--location URL, --cdrom CD/ISO, --pxe, --import, --boot hd|cdrom|...)',
    );
  if (!location && !cdrom) return err(ctx, 'the lab simulates --location and --cdrom installs only');
  const diskSpecs = p.values.get('disk') ?? [];
  if (!diskSpecs.length && !p.flags.has('nodisks'))
    return err(ctx, '--disk storage must be specified (override with --nodisks)');
  if (model.record(ctx.node.name, name)) return err(ctx, `Guest name '${name}' is already in use.`);
  const vcpus = Number(val(p, 'vcpus') ?? 1) || 1;
  const windows = (val(p, 'os-type') ?? '').toLowerCase() === 'windows' || /^win/.test(val(p, 'os-variant') ?? '');
  const virtioOk = !windows;

  const disks: DiskDef[] = [];
  const used = new Set<string>();
  const nextDev = (prefix: string, skip: string[] = []) => {
    for (let i = 0; i < 26; i++) {
      const dev = prefix + String.fromCharCode(97 + i);
      if (!used.has(dev) && !skip.includes(dev)) {
        used.add(dev);
        return dev;
      }
    }
    return `${prefix}z`;
  };
  for (const spec of diskSpecs) {
    const o = kv(spec, 'path');
    const path = o.path;
    if (!path) return err(ctx, `Error with storage parameters: A disk path must be specified (${spec})`);
    const device = (o.device ?? 'disk') as DiskDef['device'];
    if (!present(ctx, path))
      return err(ctx, `Error with storage parameters: Size must be specified for non existent volume path '${path}'`);
    const block = path.startsWith('/dev/');
    if (device === 'floppy') {
      disks.push({
        type: 'file',
        device,
        driver: { name: 'qemu', type: 'raw', cache: 'none' },
        source: path,
        target: { dev: nextDev('fd'), bus: 'fdc' },
      });
      continue;
    }
    if (device === 'cdrom') {
      disks.push({
        type: block ? 'block' : 'file',
        device,
        driver: { name: 'qemu', type: 'raw' },
        source: path,
        target: { dev: nextDev('hd', cdrom ? ['hdc'] : []), bus: 'ide' },
        readonly: true,
      });
      continue;
    }
    const bus = o.bus ?? (virtioOk ? 'virtio' : 'ide');
    const driver = block
      ? { name: 'qemu', type: 'raw', cache: 'none', io: 'native' }
      : { name: 'qemu', type: 'raw', cache: 'none' };
    disks.push({
      type: block ? 'block' : 'file',
      device: 'disk',
      driver,
      source: path,
      target: {
        dev: nextDev(bus === 'virtio' ? 'vd' : bus === 'ide' ? 'hd' : 'sd', bus === 'ide' && cdrom ? ['hdc'] : []),
        bus,
      },
    });
  }
  if (cdrom) {
    if (!ctx.node.fs.exists(cdrom))
      return err(ctx, `Error validating install location: Could not find media '${cdrom}'.`);
    disks.push({
      type: 'file',
      device: 'cdrom',
      driver: { name: 'qemu', type: 'raw' },
      source: cdrom,
      target: { dev: 'hdc', bus: 'ide' },
      readonly: true,
    });
  }
  const nets = p.values.get('network') ?? [];
  const bridges = [...(p.values.get('bridge') ?? p.values.get('b') ?? []).map((b) => `bridge=${b}`), ...nets];
  const interfaces = (bridges.length ? bridges : ['network=default']).map((spec, i) => {
    const o = kv(spec, 'bridge');
    const isNet = 'network' in o;
    const model = o.model ?? (virtioOk ? 'virtio' : undefined);
    return {
      type: isNet ? ('network' as const) : ('bridge' as const),
      mac: (o.mac ?? makeMac(`${ctx.node.name}:${name}:${i}`)).toLowerCase(),
      source: isNet ? o.network : o.bridge,
      ...(model ? { model } : {}),
    };
  });

  const config: DomainDef = {
    type: 'kvm',
    name,
    uuid: makeUuid(`${ctx.node.name}:${name}`),
    memory: ram * 1024,
    currentMemory: ram * 1024,
    vcpu: vcpus,
    os: { arch: val(p, 'arch') ?? 'x86_64', machine: MACHINE, type: 'hvm', boot: ['hd'] },
    features: ['acpi', 'apic', 'pae'],
    clock: windows
      ? {
          offset: 'localtime',
          timers: [
            [
              ['name', 'rtc'],
              ['tickpolicy', 'catchup'],
            ],
          ],
        }
      : { offset: 'utc', timers: [] },
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'restart',
    emulator: '/usr/libexec/qemu-kvm',
    disks,
    controllers: [],
    interfaces,
    serial: true,
    tablet: true,
    ...(p.flags.has('nographics') ? {} : { graphics: { type: 'vnc', autoport: true } }),
    video: { model: windows ? 'vga' : 'cirrus', vram: 9216, heads: 1 },
    memballoon: { model: 'virtio' },
  };
  assignAddresses(config);
  const install = cloneDef(config);
  install.onReboot = 'destroy';
  install.onCrash = 'destroy';
  if (location) {
    const tag = makeUuid(`${name}:boot`).replace(/-/g, '').slice(0, 6);
    install.os.kernel = `/var/lib/libvirt/boot/virtinst-vmlinuz.${tag}`;
    install.os.initrd = `/var/lib/libvirt/boot/virtinst-initrd.img.${tag}`;
    install.os.cmdline = `method=${location} ${val(p, 'extra-args', 'x') ?? ''}`.trim();
    install.os.boot = [];
  } else install.os.boot = ['cdrom'];

  ctx.out('Starting install...\n');
  if (location) {
    ctx.out(meter('Retrieving file .treeinfo...', '676 B', '00:00', '... '));
    ctx.out(meter('Retrieving file vmlinuz...', '7.5 MB', '00:00', '... '));
    ctx.out(meter('Retrieving file initrd.img...', '59 MB', '00:02', '... '));
  }
  ctx.out(meter('Creating domain...', '0 B', '00:00', '    '));
  let live;
  try {
    live = model.installDomain(ctx.node.name, config, install, location ? 'network' : 'media');
  } catch (e) {
    if (!(e instanceof VirtError)) throw e;
    ctx.err(`ERROR    ${e.message}\n`);
    ctx.out(
      `Domain installation does not appear to have been successful.\nIf it was, you can restart your domain by running:\n  virsh --connect qemu:///system start ${name}\notherwise, please restart your installation.\n`,
    );
    return 1;
  }
  if (config.graphics && !p.flags.has('noautoconsole')) {
    if (!ctx.node.fs.exists('/usr/bin/virt-viewer'))
      ctx.err(
        "WARNING  Unable to connect to graphical console: virt-viewer not installed. Please install the 'virt-viewer' package.\n",
      );
    else if (!ctx.sh.vars.get('DISPLAY'))
      ctx.err('WARNING  Graphics requested but DISPLAY is not set. Not running virt-viewer.\n');
  }
  if (location) {
    ctx.out(
      'Domain installation still in progress. You can reconnect to \nthe console to complete the installation process.\n',
    );
    return 0;
  }
  // NOTE: python-virtinst 0.600 virt-install start_install(): a Windows guest (osdict "continue": True) makes
  // virt-install wait (check_domain()'s 2-s poll) through both install stages, then restart the guest itself.
  // Waiting lets lab time pass, as `sleep` does.
  const failed = () => {
    ctx.out(
      `Domain installation does not appear to have been successful.\nIf it was, you can restart your domain by running:\n  virsh --connect qemu:///system start ${name}\notherwise, please restart your installation.\n`,
    );
    return 1;
  };
  const waitOff = (doneAt: number, id: number): boolean => {
    ctx.out('Domain installation still in progress. Waiting for installation to complete.\n');
    world.advanceTo(doneAt);
    const r = model.record(ctx.node.name, name);
    if (r?.live?.rt.id === id) return false;
    ctx.out('Domain has shutdown. Continuing.\n');
    return true;
  };
  if (!waitOff(live.install!.doneAt, live.rt.id)) return failed();
  let stage2;
  try {
    stage2 = model.continueInstall(ctx.node.name, name);
  } catch (e) {
    if (!(e instanceof VirtError)) throw e;
    ctx.err(`ERROR    ${e.message}\n`);
    return failed();
  }
  ctx.out(meter('Starting domain...', '0 B', '00:00', '    '));
  if (!waitOff(stage2.install!.doneAt, stage2.rt.id)) return failed();
  ctx.out('Guest installation complete... restarting guest.\n');
  try {
    model.startDomain(ctx.node.name, name, 'virt-install');
  } catch (e) {
    if (!(e instanceof VirtError)) throw e;
    ctx.err(`ERROR    ${e.message}\n`);
    return failed();
  }
  return 0;
};

/** virt-install's implementation, by program name. */
export const VIRT_INSTALL_COMMANDS: Record<string, CommandFn> = { 'virt-install': virtInstall };
