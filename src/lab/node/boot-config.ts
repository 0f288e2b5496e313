/**
 * What a node's boot reads from its own files: udev's persistent NIC names, the hostname rc.sysinit
 * sets and the SELinux mode the kernel starts in. Read again at every boot (`LabNode.boot`).
 */
import type { NodeFs } from '../fs/node-fs.js';
import type { NicHw } from './network.js';

type BootFs = Pick<NodeFs, 'readFile' | 'readText'>;

/**
 * udev at boot: /etc/udev/rules.d/70-persistent-net.rules names each NIC by its MAC. A rule set
 * that would give two NICs one name is not applied for those NICs (the kernel keeps their names).
 */
export function applyUdevNames(fs: BootFs, nics: NicHw[]): void {
  let text: string;
  try {
    text = fs.readFile('/etc/udev/rules.d/70-persistent-net.rules').toString();
  } catch {
    return;
  }
  const byMac = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim().startsWith('#')) continue;
    const mac = /ATTR\{address\}=="([0-9A-Fa-f:]{17})"/.exec(line)?.[1];
    const name = /NAME="([^"]+)"/.exec(line)?.[1];
    if (mac && name) byMac.set(mac.toUpperCase(), name);
  }
  const next = nics.map((n) => byMac.get(n.mac.toUpperCase()) ?? n.name);
  nics.forEach((n, i) => {
    if (next.filter((x) => x === next[i]).length === 1) n.name = next[i]!;
  });
}

/** Hostname from /etc/sysconfig/network (what rc.sysinit sets). */
export function configuredHostname(fs: BootFs): string {
  try {
    const m = /^HOSTNAME=["']?([^"'\s]+)/m.exec(fs.readText('/etc/sysconfig/network'));
    if (m) return m[1];
  } catch {
    /* fall through */
  }
  return 'localhost.localdomain';
}

/** SELinux mode /etc/selinux/config asks for at boot. */
export function configuredSelinux(fs: BootFs): 'Enforcing' | 'Permissive' | 'Disabled' {
  try {
    const m = /^SELINUX=(\w+)/m.exec(fs.readText('/etc/selinux/config'));
    const v = m?.[1]?.toLowerCase();
    return v === 'disabled' ? 'Disabled' : v === 'permissive' ? 'Permissive' : 'Enforcing';
  } catch {
    return 'Enforcing';
  }
}
