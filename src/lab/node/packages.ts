/**
 * The package catalogue (a local "yum repository" of CentOS 6.4 packages the tutorial uses) and
 * what installing or removing one does to a node: program stubs, config files, init scripts with
 * `chkconfig --add`, post-install hooks. The catalogue is a value the lab's base subsystem gives the
 * world; a subsystem brings its own packages (storage: perl).
 */
import type { LabNode } from './node.js';
import { BIN_MAGIC } from '../shell/interp.js';
import { INIT_D, initScript, setLinks, removeLinks, readHeader } from './rc.js';
import { dirname } from '../fs/path.js';
import { DEFAULT_NET_XML } from './virt.js';

/** One package. */
export interface PackageDef {
  name: string;
  /** "1:0.8.1-43.el6": [epoch:]version-release */
  evr: string;
  arch?: string;
  repo?: string;
  summary?: string;
  /** Installed size in kB (yum's summary). */
  sizeK?: number;
  requires?: string[];
  /** Program paths → implementation name among the world's programs (default: the file's base name). */
  bins?: Record<string, string> | string[];
  /** Config files: written unless already present (%config(noreplace)). */
  files?: Record<string, string>;
  dirs?: string[];
  /** Init scripts (names in the services catalogue). */
  services?: string[];
  /** Extra symlinks: path → target. */
  links?: Record<string, string>;
  postInstall?(node: LabNode): void;
  preRemove?(node: LabNode): void;
}

// NOTE: filled only while this module loads (the base catalogue below); exported frozen as PACKAGES.
const catalogue: Record<string, PackageDef> = {};

function add(p: PackageDef): void {
  catalogue[p.name] = p;
}

/** `name-version-release.arch` as rpm -q prints it. */
export function nvra(p: PackageDef): string {
  return `${p.name}-${p.evr.replace(/^\d+:/, '')}.${p.arch ?? 'x86_64'}`;
}

/** Whether the package's repository is configured on the node. */
export function repoEnabled(node: LabNode, p: PackageDef): boolean {
  if (!p.repo || p.repo === 'base' || p.repo === 'updates' || p.repo === 'installed') return true;
  try {
    return node.fs.readdir('/etc/yum.repos.d').some((f) => f.startsWith(p.repo!) && f.endsWith('.repo'));
  } catch {
    return false;
  }
}

function binMap(p: PackageDef): Record<string, string> {
  if (!p.bins) return {};
  if (Array.isArray(p.bins)) return Object.fromEntries(p.bins.map((b) => [b, b.slice(b.lastIndexOf('/') + 1)]));
  return p.bins;
}

/** Lay a package's files down on the node and add its init scripts (no dependency handling). */
export function installFiles(node: LabNode, p: PackageDef): void {
  const fs = node.fs;
  for (const d of p.dirs ?? []) fs.mkdirp(d);
  for (const [path, impl] of Object.entries(binMap(p))) {
    fs.mkdirp(dirname(path));
    fs.writeFile(path, `${BIN_MAGIC}${impl}\n`, 0o755);
  }
  for (const [path, text] of Object.entries(p.files ?? {})) {
    fs.mkdirp(dirname(path));
    if (!fs.exists(path)) fs.writeFile(path, text, 0o644);
  }
  for (const [path, target] of Object.entries(p.links ?? {})) {
    fs.mkdirp(dirname(path));
    if (!fs.lstat(path)) fs.symlink(target, path);
  }
  for (const s of p.services ?? []) {
    const def = node.world.service(s);
    const header = def?.header ?? { levels: '', start: 50, stop: 50 };
    fs.mkdirp(INIT_D);
    fs.writeFile(`${INIT_D}/${s}`, initScript(s, header, def?.description ?? s), 0o755);
    // NOTE: %post runs `chkconfig --add`: links per the script's default levels.
    setLinks(fs, s, new Set([...header.levels].map(Number)), readHeader(fs, s) ?? header);
  }
  node.packages.add(p.name);
  p.postInstall?.(node);
}

/** Remove a package's programs, init scripts and links (config files stay, as .rpmsave would). */
export function removeFiles(node: LabNode, p: PackageDef): void {
  const fs = node.fs;
  p.preRemove?.(node);
  for (const s of p.services ?? []) {
    // NOTE: %preun: `service X stop; chkconfig --del X`.
    node.markStopped(s);
    removeLinks(fs, s);
    if (fs.exists(`${INIT_D}/${s}`)) fs.unlink(`${INIT_D}/${s}`);
  }
  for (const path of Object.keys(binMap(p))) if (fs.lstat(path)) fs.unlink(path);
  for (const path of Object.keys(p.links ?? {})) if (fs.lstat(path)) fs.unlink(path);
  node.packages.delete(p.name);
}

/** Packages of `catalog` that would have to be installed for `names` (dependencies first), or the unknown names. */
export function resolveInstall(
  node: LabNode,
  names: string[],
  catalog: Readonly<Record<string, PackageDef>>,
): { add: PackageDef[]; missing: string[]; already: PackageDef[] } {
  const add: PackageDef[] = [];
  const missing: string[] = [];
  const already: PackageDef[] = [];
  const seen = new Set<string>();
  const visit = (n: string, top: boolean) => {
    if (seen.has(n)) return;
    seen.add(n);
    const p = catalog[n];
    if (!p || !repoEnabled(node, p)) {
      if (top) missing.push(n);
      return;
    }
    if (node.packages.has(n)) {
      if (top) already.push(p);
      return;
    }
    for (const r of p.requires ?? []) visit(r, false);
    add.push(p);
  };
  for (const n of names) visit(n, true);
  return { add, missing, already };
}

// ---------- the catalogue ----------

const base = (name: string, evr: string, bins: string[], extra: Partial<PackageDef> = {}) =>
  add({ name, evr, repo: 'base', bins, ...extra });

base('bash', '4.1.2-14.el6', ['/bin/bash', '/bin/sh']);
base('coreutils', '8.4-19.el6', [
  '/bin/cat',
  '/bin/ls',
  '/bin/mkdir',
  '/bin/touch',
  '/bin/rm',
  '/bin/rmdir',
  '/bin/cp',
  '/bin/mv',
  '/bin/chmod',
  '/bin/chown',
  '/bin/chgrp',
  '/bin/ln',
  '/usr/bin/stat',
  '/bin/readlink',
  '/bin/basename',
  '/usr/bin/dirname',
  '/usr/bin/id',
  '/usr/bin/whoami',
  '/bin/uname',
  '/bin/date',
  '/bin/sleep',
  '/usr/bin/nohup',
  '/bin/env',
  '/usr/bin/env',
  '/bin/cut',
  '/usr/bin/tr',
  '/usr/bin/wc',
  '/usr/bin/head',
  '/usr/bin/tail',
  '/bin/sort',
  '/usr/bin/uniq',
  '/usr/bin/tee',
  '/bin/echo',
  '/usr/bin/printf',
  '/bin/true',
  '/bin/false',
  '/usr/bin/test',
  '/usr/bin/[',
  '/bin/pwd',
  '/usr/bin/md5sum',
  '/usr/bin/sha256sum',
  '/usr/bin/seq',
  '/bin/sync',
  '/usr/bin/yes',
  '/bin/df',
  '/usr/bin/du',
  '/usr/bin/realpath',
  '/bin/mktemp',
  '/usr/bin/cksum',
  '/bin/dd',
]);
base('grep', '2.6.3-3.el6', ['/bin/grep', '/bin/egrep', '/bin/fgrep']);
base('sed', '4.2.1-10.el6', ['/bin/sed']);
base('gawk', '3.1.7-10.el6', ['/bin/gawk', '/bin/awk']);
base('diffutils', '2.8.1-28.el6', ['/usr/bin/diff', '/usr/bin/cmp']);
base('findutils', '1:4.4.2-6.el6', ['/bin/find', '/usr/bin/xargs']);
base('which', '2.19-6.el6', ['/usr/bin/which']);
base('hostname', '3.02-1.el6', ['/bin/hostname']);
base('glibc-common', '2.12-1.107.el6', ['/usr/bin/getent']);
base('iproute', '2.6.32-23.el6', ['/sbin/ip']);
base('net-tools', '1.60-110.el6_2', ['/sbin/ifconfig', '/bin/netstat', '/sbin/route']);
base('iputils', '20071127-16.el6', ['/bin/ping']);
base('initscripts', '9.03.38-1.el6.centos', ['/sbin/service', '/sbin/ifup', '/sbin/ifdown'], {
  services: ['network', 'netfs', 'udev-post'],
});
base('chkconfig', '1.3.49.3-2.el6', ['/sbin/chkconfig']);
base('upstart', '0.6.5-12.el6', ['/sbin/reboot', '/sbin/poweroff', '/sbin/shutdown', '/sbin/halt', '/sbin/runlevel']);
base('module-init-tools', '3.9-21.el6', ['/sbin/modprobe', '/sbin/lsmod']);
base('rpm', '4.8.0-32.el6', ['/bin/rpm']);
base('yum', '3.2.29-40.el6.centos', ['/usr/bin/yum'], { arch: 'noarch' });
base('openssh', '5.3p1-84.1.el6', ['/usr/bin/ssh-keygen']);
base('openssh-clients', '5.3p1-84.1.el6', ['/usr/bin/ssh', '/usr/bin/scp', '/usr/bin/ssh-keyscan'], {
  requires: ['openssh'],
});
base('openssh-server', '5.3p1-84.1.el6', ['/usr/sbin/sshd'], { requires: ['openssh'], services: ['sshd'] });
base('rsync', '3.0.6-9.el6', ['/usr/bin/rsync']);
base('NetworkManager', '1:0.8.1-43.el6', ['/usr/sbin/NetworkManager', '/usr/bin/nm-tool'], {
  services: ['NetworkManager'],
});
base('iptables', '1.4.7-9.el6', ['/sbin/iptables'], { services: ['iptables'] });
base('iptables-ipv6', '1.4.7-9.el6', ['/sbin/ip6tables'], { services: ['ip6tables'] });
base('acpid', '1.0.10-2.1.el6', ['/usr/sbin/acpid'], { services: ['acpid'] });
base('rsyslog', '5.8.10-6.el6', ['/sbin/rsyslogd'], { services: ['rsyslog'] });
base('cronie', '1.4.4-7.el6', ['/usr/sbin/crond', '/usr/bin/crontab'], { services: ['crond'] });
base('audit', '2.2-2.el6', ['/sbin/auditd'], { services: ['auditd'] });
base('postfix', '2:2.6.6-2.2.el6_1', ['/usr/sbin/postfix'], { services: ['postfix'] });
base('dbus', '1:1.2.24-7.el6_3', ['/bin/dbus-daemon'], { services: ['messagebus'] });
base('parted', '2.1-19.el6', ['/sbin/parted']);
base('lvm2', '2.02.98-9.el6', [
  '/sbin/lvm',
  '/sbin/pvscan',
  '/sbin/vgscan',
  '/sbin/lvscan',
  '/sbin/pvcreate',
  '/sbin/vgcreate',
  '/sbin/lvcreate',
  '/sbin/pvs',
  '/sbin/vgs',
  '/sbin/lvs',
  '/sbin/pvdisplay',
  '/sbin/vgdisplay',
  '/sbin/lvdisplay',
  '/sbin/vgchange',
  '/sbin/lvchange',
  '/sbin/lvremove',
]);
base('e2fsprogs', '1.41.12-14.el6', ['/sbin/mkfs.ext4', '/sbin/e2fsck']);
base('util-linux-ng', '2.17.2-12.9.el6', [
  '/bin/mount',
  '/bin/umount',
  '/sbin/fdisk',
  '/usr/bin/logger',
  '/bin/dmesg',
  '/sbin/blkid',
]);
base('device-mapper', '1.02.77-9.el6', ['/sbin/dmsetup']);
base('ethtool', '2:3.5-1.el6', ['/sbin/ethtool']);
base('procps', '3.2.8-25.el6', [
  '/bin/ps',
  '/usr/bin/free',
  '/usr/bin/uptime',
  '/usr/bin/watch',
  '/usr/bin/pgrep',
  '/usr/bin/pkill',
]);
base('psmisc', '22.6-15.el6_0.1', ['/usr/bin/killall']);
base('tar', '2:1.23-11.el6', ['/bin/tar']);
base('gzip', '1.3.12-19.el6_4', ['/bin/gzip', '/bin/gunzip']);
base('less', '436-10.el6', ['/usr/bin/less']);
base('vim-minimal', '2:7.2.411-1.8.el6', ['/bin/vi']);
base('selinux-policy', '3.7.19-195.el6', [], { arch: 'noarch' });
base('libselinux-utils', '2.0.94-5.3.el6', ['/usr/sbin/getenforce', '/usr/sbin/setenforce', '/usr/sbin/sestatus']);
base('centos-release', '6-4.el6.centos.10', []);
base('passwd', '0.77-4.el6_2.2', ['/usr/bin/passwd']);

// The tutorial's "Installing Required Programs" set and its friends.
base('ntp', '4.2.4p8-3.el6.centos', ['/usr/sbin/ntpd', '/usr/sbin/ntpq', '/usr/sbin/ntpdc'], {
  services: ['ntpd'],
  requires: ['ntpdate'],
  sizeK: 1440,
});
base('ntpdate', '4.2.4p8-3.el6.centos', ['/usr/sbin/ntpdate'], { services: ['ntpdate'], sizeK: 118 });
base(
  'corosync',
  '1.4.1-15.el6',
  ['/usr/sbin/corosync', '/usr/sbin/corosync-cfgtool', '/usr/sbin/corosync-objctl', '/usr/sbin/corosync-quorumtool'],
  { services: ['corosync'], requires: ['corosynclib'], sizeK: 425 },
);
base('corosynclib', '1.4.1-15.el6', [], { sizeK: 470 });
base(
  'cman',
  '3.0.12.1-49.el6',
  [
    '/usr/sbin/cman_tool',
    '/usr/sbin/ccs_config_validate',
    '/usr/sbin/ccs_tool',
    '/usr/sbin/fence_node',
    '/usr/sbin/fence_tool',
    '/usr/sbin/dlm_tool',
    '/usr/sbin/group_tool',
    '/usr/sbin/gfs_control',
    '/usr/sbin/fence_ipmilan',
    '/usr/sbin/fence_apc_snmp',
    '/usr/sbin/fenced',
    '/usr/sbin/fence_ack_manual',
  ],
  {
    services: ['cman'],
    dirs: ['/etc/cluster'],
    requires: ['corosync', 'ricci', 'modcluster', 'openais', 'fence-agents', 'clusterlib'],
    sizeK: 1200,
  },
);
base('openais', '1.1.1-7.el6', [], { sizeK: 417 });
base('clusterlib', '3.0.12.1-49.el6', [], { sizeK: 90 });
base(
  'fence-agents',
  '3.1.5-25.el6',
  [
    '/usr/sbin/fence_ilo',
    '/usr/sbin/fence_ilo2',
    '/usr/sbin/fence_ilo3',
    '/usr/sbin/fence_ilo4',
    '/usr/sbin/fence_idrac',
    '/usr/sbin/fence_imm',
    '/usr/sbin/fence_drac5',
    '/usr/sbin/fence_apc',
    '/usr/sbin/fence_virsh',
    '/usr/sbin/fence_xvm',
  ],
  { sizeK: 2100 },
);
base(
  'rgmanager',
  '3.0.12.1-17.el6',
  ['/usr/sbin/clustat', '/usr/sbin/clusvcadm', '/usr/sbin/rg_test', '/usr/sbin/rgmanager'],
  { services: ['rgmanager'], requires: ['cman', 'resource-agents'], sizeK: 900 },
);
base('resource-agents', '3.9.2-21.el6', [], { sizeK: 1300 });
base('ricci', '0.16.2-63.el6', ['/usr/sbin/ricci', '/usr/sbin/ccs_sync'], {
  services: ['ricci'],
  requires: ['modcluster'],
  sizeK: 2700,
  postInstall: (n) => ensureUser(n, 'ricci', 140),
});
base('modcluster', '0.16.2-20.el6', ['/usr/sbin/modclusterd'], { services: ['modclusterd'], sizeK: 900 });
base(
  'gfs2-utils',
  '3.0.12.1-49.el6',
  ['/sbin/mkfs.gfs2', '/sbin/gfs2_tool', '/sbin/gfs2_grow', '/sbin/fsck.gfs2', '/sbin/mount.gfs2'],
  { services: ['gfs2'], sizeK: 800 },
);
base('lvm2-cluster', '2.02.98-9.el6', ['/usr/sbin/clvmd'], { services: ['clvmd'], requires: ['lvm2'], sizeK: 630 });
base('libvirt-client', '0.10.2-18.el6', ['/usr/bin/virsh'], { services: ['libvirt-guests'], sizeK: 10000 });
// NOTE: bridge-utils comes with libvirt: the tutorial never installs it, yet its ifcfg-vbr2 (TYPE=Bridge)
// needs brctl (EL6 initscripts' ifup-eth refuses a bridge without /usr/sbin/brctl).
base('bridge-utils', '1.2-10.el6', ['/usr/sbin/brctl'], { sizeK: 38 });
base('libvirt', '0.10.2-18.el6', ['/usr/sbin/libvirtd'], {
  services: ['libvirtd'],
  requires: ['libvirt-client', 'bridge-utils'],
  sizeK: 7800,
  dirs: ['/etc/libvirt/qemu/networks/autostart', '/var/lib/libvirt/images'],
  files: {
    '/etc/libvirt/qemu/networks/default.xml': DEFAULT_NET_XML,
    '/etc/libvirt/libvirtd.conf': '# Master libvirt daemon configuration file\n#\n',
  },
  links: { '/etc/libvirt/qemu/networks/autostart/default.xml': '/etc/libvirt/qemu/networks/default.xml' },
});
base('qemu-kvm', '2:0.12.1.2-2.355.el6', ['/usr/libexec/qemu-kvm', '/usr/bin/qemu-img'], {
  services: ['ksm', 'ksmtuned'],
  sizeK: 3900,
});
base('qemu-kvm-tools', '2:0.12.1.2-2.355.el6', ['/usr/bin/kvm_stat'], { requires: ['qemu-kvm'], sizeK: 30 });
base('python-virtinst', '0.600.0-15.el6', ['/usr/bin/virt-install', '/usr/bin/virt-clone'], {
  arch: 'noarch',
  sizeK: 1600,
});
add({
  ...catalogue['python-virtinst'],
  name: 'virt-install',
  requires: ['python-virtinst'],
  bins: [],
  sizeK: 1,
});
base('virt-viewer', '0.5.2-18.el6', ['/usr/bin/virt-viewer'], { sizeK: 500 });
base('syslinux', '4.02-8.el6', ['/usr/bin/gethostip', '/usr/bin/syslinux'], { sizeK: 2300 });
base('wget', '1.12-1.8.el6', ['/usr/bin/wget'], { sizeK: 1800 });
base('gpm', '1.20.6-12.el6', ['/usr/sbin/gpm'], { services: ['gpm'], sizeK: 300 });
base('elrepo-release', '6-4.el6.elrepo', [], {
  arch: 'noarch',
  repo: 'elrepo-url',
  files: {
    '/etc/yum.repos.d/elrepo.repo':
      '### Name: ELRepo.org Community Enterprise Linux Repository for el6\n[elrepo]\nname=ELRepo.org Community Enterprise Linux Repository - el6\nbaseurl=http://elrepo.org/linux/elrepo/el6/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-elrepo.org\nprotect=0\n',
  },
});
// DRBD 8.3.12 as the tutorial runs it (/proc/drbd 2569-2570); the stock global_common.conf of 8.3.
const DRBD_CONF =
  '# You can find an example in  /usr/share/doc/drbd.../drbd.conf.example\n\ninclude "drbd.d/global_common.conf";\ninclude "drbd.d/*.res";\n';
const DRBD_GLOBAL_COMMON =
  'global {\n\tusage-count yes;\n\t# minor-count dialog-refresh disable-ip-verification\n}\n\ncommon {\n\tprotocol C;\n\n\thandlers {\n\t\tpri-on-incon-degr "/usr/lib/drbd/notify-pri-on-incon-degr.sh; /usr/lib/drbd/notify-emergency-reboot.sh; echo b > /proc/sysrq-trigger ; reboot -f";\n\t\tpri-lost-after-sb "/usr/lib/drbd/notify-pri-lost-after-sb.sh; /usr/lib/drbd/notify-emergency-reboot.sh; echo b > /proc/sysrq-trigger ; reboot -f";\n\t\tlocal-io-error "/usr/lib/drbd/notify-io-error.sh; /usr/lib/drbd/notify-emergency-shutdown.sh; echo o > /proc/sysrq-trigger ; halt -f";\n\t\t# fence-peer "/usr/lib/drbd/crm-fence-peer.sh";\n\t}\n\n\tstartup {\n\t\t# wfc-timeout degr-wfc-timeout outdated-wfc-timeout wait-after-sb\n\t}\n\n\tdisk {\n\t\t# on-io-error fencing use-bmbv no-disk-barrier no-disk-flushes\n\t}\n\n\tnet {\n\t\t# sndbuf-size rcvbuf-size timeout connect-int ping-int ping-timeout max-buffers\n\t}\n\n\tsyncer {\n\t\t# rate after al-extents use-rle cpu-mask verify-alg csums-alg\n\t}\n}\n';
const drbdUtils = (name: string, evr: string, repo: string) =>
  add({
    name,
    evr,
    repo,
    bins: ['/sbin/drbdadm', '/sbin/drbdsetup', '/sbin/drbdmeta', '/usr/sbin/drbd-overview'],
    services: ['drbd'],
    sizeK: 900,
    files: { '/etc/drbd.conf': DRBD_CONF, '/etc/drbd.d/global_common.conf': DRBD_GLOBAL_COMMON },
    dirs: ['/etc/drbd.d', '/usr/lib/drbd'],
  });
drbdUtils('drbd83-utils', '8.3.12-1.el6.elrepo', 'elrepo');
add({
  name: 'kmod-drbd83',
  evr: '8.3.12-1.el6.elrepo',
  repo: 'elrepo',
  sizeK: 700,
  requires: ['drbd83-utils'],
});
// LINBIT's supported packages (repo file /etc/yum.repos.d/linbit.repo, 2076-2079).
drbdUtils('drbd', '8.3.15-1.el6', 'linbit');
add({ name: 'kmod-drbd', evr: '8.3.15_2.6.32_358-1.el6', repo: 'linbit', sizeK: 700, requires: ['drbd'] });

/** The base repositories' packages (CentOS 6.4, ELRepo, LINBIT), by name. */
export const PACKAGES: Readonly<Record<string, PackageDef>> = Object.freeze(catalogue);

/** Add a system user to /etc/passwd if absent. */
function ensureUser(node: LabNode, user: string, uid: number): void {
  try {
    const passwd = node.fs.readText('/etc/passwd');
    if (!new RegExp(`^${user}:`, 'm').test(passwd))
      node.fs.appendFile('/etc/passwd', `${user}:x:${uid}:${uid}::/var/lib/${user}:/sbin/nologin\n`);
  } catch {
    /* no passwd: nothing to do */
  }
}

/** Packages of the "minimal" CentOS 6.4 install the tutorial starts from (plus rsync, used for backups). */
export const MINIMAL_SET = [
  'bash',
  'coreutils',
  'grep',
  'sed',
  'gawk',
  'diffutils',
  'findutils',
  'which',
  'hostname',
  'glibc-common',
  'iproute',
  'net-tools',
  'iputils',
  'initscripts',
  'chkconfig',
  'upstart',
  'module-init-tools',
  'rpm',
  'yum',
  'openssh',
  'openssh-clients',
  'openssh-server',
  'rsync',
  'NetworkManager',
  'iptables',
  'iptables-ipv6',
  'acpid',
  'rsyslog',
  'cronie',
  'audit',
  'postfix',
  'dbus',
  'parted',
  'lvm2',
  'e2fsprogs',
  'util-linux-ng',
  'device-mapper',
  'ethtool',
  'procps',
  'psmisc',
  'tar',
  'gzip',
  'less',
  'vim-minimal',
  'selinux-policy',
  'libselinux-utils',
  'centos-release',
  'passwd',
];
