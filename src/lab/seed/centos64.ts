/**
 * The starting state of a node: a minimal CentOS 6.4 install as the tutorial finds it (eth0 static on
 * the BCN so the node is reachable, the other NICs as the installer left them, SELinux enforcing,
 * firewall on, NetworkManager installed, no /root/.ssh), plus its disk and host key.
 */
import type { LabNode } from '../node/node.js';
import { installFiles, MINIMAL_SET } from '../node/packages.js';
import { worldOf } from '../world/world.js';
import { setLinks, readHeader } from '../node/rc.js';
import { generateRsa, publicLine } from '../node/keys.js';
import * as stock from './stock-files.js';
import { createHash } from 'node:crypto';

/** Per-node values the seed needs. */
export interface SeedOpts {
  /** BCN netmask, e.g. 255.255.0.0. */
  bcnNetmask: string;
  /** Root password hash for /etc/shadow (never the clear text). */
  rootHash?: string;
  /** The system disk, e.g. /dev/sda (the answers' storage.disk); default /dev/sda. */
  disk?: string;
}

const DISK_BYTES = 500107862016;
const PARTS: [number, number][] = [
  [1048576, 269484031],
  [269484032, 43218108415],
  [43218108416, 47513075711],
];

export function uuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The ifcfg-ethN file anaconda writes (DHCP, not on boot, NetworkManager-controlled). */
export function installerIfcfg(node: LabNode, dev: string, mac: string): string {
  return [
    `DEVICE="${dev}"`,
    'BOOTPROTO="dhcp"',
    `HWADDR="${mac}"`,
    'NM_CONTROLLED="yes"',
    'ONBOOT="no"',
    'TYPE="Ethernet"',
    `UUID="${uuid(node.name + dev)}"`,
    '',
  ].join('\n');
}

/** Lay down a fresh minimal install on `node` (its fs must be empty), then boot it. */
export function seedNode(node: LabNode, opts: SeedOpts): void {
  const fs = node.fs;
  for (const d of [
    '/bin',
    '/boot',
    '/dev',
    '/etc',
    '/home',
    '/lib',
    '/lib64',
    '/media',
    '/mnt',
    '/opt',
    '/root',
    '/sbin',
    '/srv',
    '/sys',
    '/usr/bin',
    '/usr/sbin',
    '/usr/lib64',
    '/usr/libexec',
    '/usr/local/bin',
    '/usr/local/sbin',
    '/usr/share',
    '/var/log',
    '/var/lib',
    '/var/run',
    '/var/lock/subsys',
    '/var/empty/sshd',
    '/var/spool',
    '/etc/rc.d/init.d',
    '/etc/sysconfig/network-scripts',
    '/etc/ssh',
    '/etc/selinux',
    '/etc/lvm',
    '/etc/yum.repos.d',
    '/etc/modprobe.d',
    '/etc/ntp',
    '/etc/pki/rpm-gpg',
  ])
    fs.mkdirp(d);
  fs.chmod('/root', 0o550);
  fs.mkdir('/tmp', 0o1777);
  fs.chmod('/tmp', 0o1777);
  fs.symlink('rc.d/init.d', '/etc/init.d');
  for (let l = 0; l <= 6; l++) {
    fs.mkdirp(`/etc/rc.d/rc${l}.d`);
    fs.symlink(`rc.d/rc${l}.d`, `/etc/rc${l}.d`);
  }
  fs.mknod('/dev/null', 'char', 0, 0o666);
  fs.mknod('/dev/zero', 'char', 0, 0o666);
  const disk = (opts.disk ?? '/dev/sda').replace(/^\/dev\//, '');
  fs.mknod(`/dev/${disk}`, 'block', DISK_BYTES);
  PARTS.forEach(([s, e], i) => fs.mknod(`/dev/${disk}${i + 1}`, 'block', e - s + 1));
  node.disks = {
    [disk]: {
      model: 'ATA ST9500420ASG (scsi)',
      bytes: DISK_BYTES,
      table: 'msdos',
      parts: PARTS.map(([s, e], i) => ({
        num: i + 1,
        start: s,
        end: e,
        type: 'primary',
        fs: ['ext4', 'ext4', 'linux-swap(v1)'][i],
        flags: i === 0 ? 'boot' : '',
      })),
    },
  };

  fs.writeFile('/etc/redhat-release', 'CentOS release 6.4 (Final)\n');
  fs.writeFile('/etc/centos-release', 'CentOS release 6.4 (Final)\n');
  fs.symlink('centos-release', '/etc/system-release');
  fs.writeFile('/etc/issue', 'CentOS release 6.4 (Final)\nKernel \\r on an \\m\n\n');
  fs.writeFile('/etc/hosts', stock.HOSTS);
  fs.writeFile('/etc/resolv.conf', '');
  fs.writeFile('/etc/passwd', stock.PASSWD);
  fs.writeFile('/etc/group', stock.GROUP);
  fs.writeFile('/etc/shadow', `root:${opts.rootHash ?? '!!'}:15800:0:99999:7:::\n`, 0o000);
  fs.writeFile(
    '/etc/inittab',
    '# Default runlevel. The runlevels used are:\n#   3 - Full multiuser mode\nid:3:initdefault:\n',
  );
  fs.writeFile(
    '/etc/fstab',
    `\n#\n# /etc/fstab\n# Created by anaconda\n#\nUUID=${uuid(node.name + 'root')} /                       ext4    defaults        1 1\nUUID=${uuid(node.name + 'boot')} /boot                   ext4    defaults        1 2\nUUID=${uuid(node.name + 'swap')} swap                    swap    defaults        0 0\ntmpfs                   /dev/shm                tmpfs   defaults        0 0\ndevpts                  /dev/pts                devpts  gid=5,mode=620  0 0\nsysfs                   /sys                    sysfs   defaults        0 0\nproc                    /proc                   proc    defaults        0 0\n`,
  );
  fs.writeFile('/etc/sysconfig/network', `NETWORKING=yes\nHOSTNAME=${node.fqdn}\n`);
  fs.writeFile('/etc/sysconfig/iptables', stock.IPTABLES_RULES, 0o600);
  fs.writeFile(
    '/etc/sysconfig/ip6tables',
    stock.IPTABLES_RULES.replace(/icmp-host-prohibited/g, 'icmp6-adm-prohibited').replace('-p icmp', '-p ipv6-icmp'),
    0o600,
  );
  fs.writeFile('/etc/selinux/config', stock.SELINUX_CONFIG);
  fs.symlink('../selinux/config', '/etc/sysconfig/selinux');
  fs.writeFile('/etc/lvm/lvm.conf', stock.LVM_CONF);
  fs.writeFile('/etc/ntp.conf', stock.NTP_CONF);
  fs.writeFile('/etc/ssh/sshd_config', stock.SSHD_CONFIG, 0o600);
  fs.writeFile('/etc/ssh/ssh_config', stock.SSH_CONFIG);
  fs.writeFile('/etc/yum.repos.d/CentOS-Base.repo', stock.CENTOS_REPO);
  fs.writeFile(
    '/etc/rc.d/init.d/functions',
    '# -*-Shell-script-*-\n#\n# functions\tThis file contains functions to be used by most or all\n#\t\tshell scripts in the /etc/init.d directory.\n#\n',
    0o644,
  );
  fs.writeFile(
    '/root/anaconda-ks.cfg',
    '# Kickstart file automatically generated by anaconda.\n\n#version=DEVEL\ninstall\nlang en_US.UTF-8\nkeyboard us\nselinux --enforcing\nfirewall --service=ssh\n%packages --nobase\n@core\n%end\n',
    0o600,
  );
  fs.writeFile(
    '/root/.bashrc',
    "# .bashrc\n\n# User specific aliases and functions\n\nalias rm='rm -i'\nalias cp='cp -i'\nalias mv='mv -i'\n\n# Source global definitions\nif [ -f /etc/bashrc ]; then\n\t. /etc/bashrc\nfi\n",
  );
  fs.writeFile('/root/.bash_profile', '# .bash_profile\n\nPATH=$PATH:$HOME/bin\n\nexport PATH\n');
  fs.writeFile('/var/log/messages', '');

  // Network: eth0 static on the BCN (reachable from the start), the rest as the installer left them.
  const scripts = '/etc/sysconfig/network-scripts';
  fs.writeFile(
    `${scripts}/ifcfg-lo`,
    "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nNETWORK=127.0.0.0\n# If you're having problems with gated making 127.0.0.0/8 a martian,\n# you can change this to something else (255.255.255.255, for example)\nBROADCAST=127.255.255.255\nONBOOT=yes\nNAME=loopback\n",
  );
  for (const nic of node.nics) {
    if (nic.name === 'eth0')
      fs.writeFile(
        `${scripts}/ifcfg-eth0`,
        [
          `DEVICE="eth0"`,
          'BOOTPROTO="none"',
          `HWADDR="${nic.mac}"`,
          `IPADDR="${node.bcn}"`,
          `NETMASK="${opts.bcnNetmask}"`,
          'NM_CONTROLLED="yes"',
          'ONBOOT="yes"',
          'TYPE="Ethernet"',
          `UUID="${uuid(node.name + 'eth0')}"`,
          '',
        ].join('\n'),
      );
    else fs.writeFile(`${scripts}/ifcfg-${nic.name}`, installerIfcfg(node, nic.name, nic.mac));
  }

  fs.mkdirp('/etc/udev/rules.d');
  fs.writeFile(
    '/etc/udev/rules.d/70-persistent-net.rules',
    [
      '# This file was automatically generated by the /lib/udev/write_net_rules',
      '# program, run by the persistent-net-generator.rules rules file.',
      '#',
      '# You can modify it, as long as you keep each rule on a single',
      '# line, and change only the value of the NAME= key.',
      ...node.nics.flatMap((nic) => [
        '',
        `# PCI device 0x8086:0x10d3 (e1000e)`,
        `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="${nic.mac.toLowerCase()}", ATTR{type}=="1", KERNEL=="eth*", NAME="${nic.name}"`,
      ]),
      '',
    ].join('\n'),
  );

  for (const name of MINIMAL_SET) installFiles(node, worldOf(node).packages[name]);
  // NOTE: anaconda enables NetworkManager on a minimal install; its script's header says "-".
  setLinks(fs, 'NetworkManager', new Set([2, 3, 4, 5]), readHeader(fs, 'NetworkManager')!);

  const key = generateRsa(2048);
  fs.writeFile('/etc/ssh/ssh_host_rsa_key', key.privatePem, 0o600);
  fs.writeFile('/etc/ssh/ssh_host_rsa_key.pub', publicLine(key.blob, '') + '\n', 0o644);

  node.boot();
}
