/**
 * libvirt's view of a node as far as the network step needs it: virtual networks defined by XML files
 * under /etc/libvirt/qemu/networks (the `default` NAT network and its virbr0 bridge), their autostart
 * links, and whether they are active (runtime).
 */
import type { NodeFs } from '../fs/node-fs.js';
import type { Network } from './network.js';

/** What libvirt's networks need of their node: its files and its live network. */
export interface VirtHost {
  readonly fs: NodeFs;
  readonly net: Network;
}

const NETS = '/etc/libvirt/qemu/networks';

/** The stock default.xml libvirt 0.10 installs. */
export const DEFAULT_NET_XML = `<network>
  <name>default</name>
  <uuid>1c3ba7b4-9b28-4d2e-a7f0-b2a11b9c8a3d</uuid>
  <bridge name="virbr0" />
  <mac address='52:54:00:6a:0e:4c'/>
  <forward/>
  <ip address="192.168.122.1" netmask="255.255.255.0">
    <dhcp>
      <range start="192.168.122.2" end="192.168.122.254" />
    </dhcp>
  </ip>
</network>
`;

/** Runtime state of libvirt on a node. */
export interface VirtState {
  /** Active (started) networks. */
  active: string[];
}

/** libvirt networks of one node. */
export class Virt {
  state: VirtState;
  constructor(
    private node: VirtHost,
    saved?: VirtState,
  ) {
    this.state = saved ?? { active: [] };
  }

  /** Names of defined (persistent) networks: non-empty XML files with a <name>. */
  defined(): string[] {
    const fs = this.node.fs;
    let files: string[] = [];
    try {
      files = fs.readdir(NETS).filter((f) => f.endsWith('.xml'));
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const f of files) {
      const m = /<name>([^<]+)<\/name>/.exec(fs.readText(`${NETS}/${f}`));
      if (m) out.push(m[1]);
    }
    return out.sort();
  }

  /** Path of a network's XML file. */
  file(name: string): string {
    return `${NETS}/${name}.xml`;
  }

  autostart(name: string): boolean {
    return this.node.fs.lstat(`${NETS}/autostart/${name}.xml`) !== null;
  }

  setAutostart(name: string, on: boolean): void {
    const fs = this.node.fs;
    const link = `${NETS}/autostart/${name}.xml`;
    if (on) {
      fs.mkdirp(`${NETS}/autostart`);
      if (!fs.lstat(link)) fs.symlink(this.file(name), link);
    } else if (fs.lstat(link)) fs.unlink(link);
  }

  isActive(name: string): boolean {
    return this.state.active.includes(name);
  }

  /** Start a network: its bridge appears with the network's address. */
  start(name: string): void {
    if (this.isActive(name)) return;
    this.state.active.push(name);
    let xml = '';
    try {
      xml = this.node.fs.readText(this.file(name));
    } catch {
      /* transient */
    }
    const br = /<bridge name=["']([^"']+)["']/.exec(xml)?.[1] ?? 'virbr0';
    const ip = /<ip address=["']([^"']+)["']/.exec(xml)?.[1];
    const net = this.node.net.state;
    net.ifaces[br] = {
      name: br,
      kind: 'bridge',
      index: net.nextIndex++,
      mac: '52:54:00:6a:0e:4c',
      up: true,
      addrs: ip ? [{ ip, prefix: 24 }] : [],
      ports: [],
    };
  }

  /** Stop a network: its bridge goes away. */
  destroy(name: string): void {
    this.state.active = this.state.active.filter((n) => n !== name);
    let xml = '';
    try {
      xml = this.node.fs.readText(this.file(name));
    } catch {
      /* already gone */
    }
    const br = /<bridge name=["']([^"']+)["']/.exec(xml)?.[1] ?? (name === 'default' ? 'virbr0' : undefined);
    if (br) delete this.node.net.state.ifaces[br];
  }

  /** libvirtd started: autostart networks come up. */
  onLibvirtdStart(): void {
    for (const n of this.defined()) if (this.autostart(n)) this.start(n);
  }

  /** libvirtd stopped: networks keep running (as with real libvirt); nothing to do. */
  onLibvirtdStop(): void {}

  /** Power loss / reboot: nothing is active. */
  reset(): void {
    this.state = { active: [] };
  }
}
