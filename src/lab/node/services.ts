/**
 * Services: the catalogue of the base system's init scripts (messages, chkconfig defaults, special
 * behaviour), a value the lab's base subsystem gives the world; the subsystems bring their own
 * (cluster, storage, virt). The generic engine that runs them is init-script.ts.
 */
import type { LabNode } from './node.js';
import { statusLine } from './rc.js';
import {
  runInitScript,
  serviceDefOf,
  type ActionResult,
  type ChkHeader,
  type MaybePromise,
  type ServiceDefFor,
} from './init-script.js';

export { andThen, type ActionResult, type MaybePromise } from './init-script.js';

/** One service the lab knows. */
export type ServiceDef = ServiceDefFor<LabNode>;

// NOTE: filled only while this module loads (the base catalogue below); exported frozen as SERVICES.
const catalogue: Record<string, ServiceDef> = {};

function add(def: ServiceDef): void {
  catalogue[def.name] = def;
}

const h = (levels: string, start: number, stop: number): ChkHeader => ({ levels, start, stop });

function simple(
  name: string,
  header: ChkHeader,
  description: string,
  startMsg: string,
  stopMsg: string,
  proc = name,
): void {
  add({ name, header, description, startMsg, stopMsg, proc });
}

simple('sshd', h('2345', 55, 25), 'OpenSSH server daemon', 'Starting sshd: ', 'Stopping sshd: ');
simple(
  'acpid',
  h('2345', 26, 74),
  'listen and dispatch ACPI events from the kernel',
  'Starting acpi daemon: ',
  'Stopping acpi daemon: ',
);
simple('ntpd', h('', 58, 74), 'ntpd is the NTPv4 daemon.', 'Starting ntpd: ', 'Shutting down ntpd: ');
simple(
  'ntpdate',
  h('', 57, 75),
  'set the date and time via NTP',
  'ntpdate: Synchronizing with time server: ',
  'Stopping ntpdate: ',
);
simple(
  'rsyslog',
  h('2345', 12, 88),
  'Syslog is the facility by which many daemons use to log messages.',
  'Starting system logger: ',
  'Shutting down system logger: ',
  'rsyslogd',
);
simple(
  'crond',
  h('2345', 90, 60),
  'cron is a standard UNIX program that runs user-specified programs at periodic scheduled times.',
  'Starting crond: ',
  'Stopping crond: ',
);
simple(
  'auditd',
  h('2345', 11, 88),
  'auditd is the userspace component to the Linux Auditing System.',
  'Starting auditd: ',
  'Stopping auditd: ',
);
simple(
  'postfix',
  h('2345', 80, 30),
  'Postfix is a Mail Transport Agent.',
  'Starting postfix: ',
  'Shutting down postfix: ',
  'master',
);
simple(
  'messagebus',
  h('345', 22, 78),
  'This is a daemon which broadcasts notifications of system events.',
  'Starting system message bus: ',
  'Stopping system message bus: ',
  'dbus-daemon',
);
simple(
  'udev-post',
  h('12345', 26, 75),
  'Moves the generated persistent udev rules to /etc/udev/rules.d',
  'Retrigger failed udev events',
  '',
  'udev-post',
);
simple(
  'netfs',
  h('2345', 25, 75),
  'Mounts and unmounts all Network File System (NFS), CIFS, NCP and GFS2 mount points.',
  'Mounting filesystems: ',
  'Unmounting network filesystems: ',
);
simple(
  'ricci',
  h('', 99, 1),
  'Ricci is a cluster management and configuration daemon',
  'Starting ricci: ',
  'Shutting down ricci: ',
);
simple(
  'modclusterd',
  h('', 99, 1),
  'Cluster Monitoring Daemon',
  'Starting Cluster Module - cluster monitor: ',
  'Shutting down Cluster Module - cluster monitor: ',
);
simple(
  'gpm',
  h('2345', 85, 15),
  'GPM adds mouse support to text-based Linux applications.',
  'Starting gpm: ',
  'Shutting down gpm: ',
);
simple(
  'corosync',
  h('', 20, 80),
  'Corosync Cluster Engine',
  'Starting Corosync Cluster Engine (corosync): ',
  'Signaling Corosync Cluster Engine (corosync) to terminate: ',
);
simple('cman', h('', 21, 79), 'Starts and stops cman', 'Starting cluster: ', 'Stopping cluster: ', 'corosync');
// NOTE: drbd, clvmd and gfs2 come with the storage subsystem (src/lab/storage/).
simple(
  'rgmanager',
  h('', 26, 74),
  'Starts and stops Red Hat Service (resource group) Manager',
  'Starting Cluster Service Manager: ',
  'Stopping Cluster Service Manager: ',
);
simple(
  'libvirt-guests',
  h('345', 98, 2),
  'suspend/resume libvirt guests on shutdown/boot',
  'Resuming guests on default URI...',
  'Running guests on default URI: no running guests.',
  'libvirt-guests',
);
simple(
  'ksm',
  h('345', 84, 16),
  'The KSM init script starts and stops the ksm kernel thread.',
  'Starting ksm: ',
  'Stopping ksm: ',
);
simple(
  'ksmtuned',
  h('345', 85, 15),
  'The KSM tuning daemon controls whether (and with what vigor) ksm should ksm search duplicated pages.',
  'Starting ksmtuned: ',
  'Stopping ksmtuned: ',
);

/** `iptables` and `ip6tables` print their EL6 messages prefixed with the service name. */
for (const name of ['iptables', 'ip6tables']) {
  add({
    name,
    header: h('2345', 8, 92),
    description: `Starts, stops and saves ${name} firewall`,
    usage: 'start|stop|reload|restart|condrestart|status|panic|save',
    start: (node) => {
      node.markRunning(name);
      return { code: 0, out: statusLine(`${name}: Applying firewall rules: `, true) };
    },
    stop: (node) => {
      if (!node.isRunning(name)) return { code: 0, out: '' };
      node.markStopped(name);
      return {
        code: 0,
        out:
          statusLine(`${name}: Flushing firewall rules: `, true) +
          statusLine(`${name}: Setting chains to policy ACCEPT: filter `, true) +
          statusLine(`${name}: Unloading modules: `, true),
      };
    },
    status: (node) => {
      if (!node.isRunning(name)) return { code: 3, out: `${name}: Firewall is not running.\n` };
      const v6 = name === 'ip6tables';
      const src = v6 ? '::/0                 ::/0' : '0.0.0.0/0            0.0.0.0/0';
      return {
        code: 0,
        out: [
          'Table: filter',
          'Chain INPUT (policy ACCEPT)',
          `num  target     prot opt source               destination         `,
          `1    ACCEPT     all  --  ${src}           state RELATED,ESTABLISHED `,
          `2    ACCEPT     ${v6 ? 'ipv6-icmp' : 'icmp'} --  ${src}           `,
          `3    ACCEPT     all  --  ${src}           `,
          `4    ACCEPT     tcp  --  ${src}           state NEW tcp dpt:22 `,
          `5    REJECT     all  --  ${src}           reject-with ${v6 ? 'icmp6-adm-prohibited' : 'icmp-host-prohibited'} `,
          '',
          'Chain FORWARD (policy ACCEPT)',
          `num  target     prot opt source               destination         `,
          `1    REJECT     all  --  ${src}           reject-with ${v6 ? 'icmp6-adm-prohibited' : 'icmp-host-prohibited'} `,
          '',
          'Chain OUTPUT (policy ACCEPT)',
          `num  target     prot opt source               destination         `,
          '',
          '',
        ].join('\n'),
      };
    },
  });
}

add({
  name: 'NetworkManager',
  header: h('', 23, 84),
  description: 'This is a daemon for automatically switching network connections to the best available connection.',
  startMsg: 'Starting NetworkManager daemon: ',
  stopMsg: 'Stopping NetworkManager daemon: ',
  start: (node, generic) => {
    const r = generic();
    return { code: r.code, out: statusLine('Setting network parameters... ', true) + r.out };
  },
});

add({
  name: 'network',
  header: h('2345', 10, 90),
  description: 'Activates/Deactivates all network interfaces configured to start at boot time.',
  usage: 'start|stop|status|restart|reload|force-reload',
  start: (node) => node.networkStart(),
  stop: (node) => node.networkStop(),
  status: (node) => {
    const active = node.net
      .list()
      .filter((i) => i.up)
      .map((i) => i.name);
    return {
      code: 0,
      out: `Configured devices:\nlo ${node.net.configured().join(' ')}\nCurrently active devices:\n${active.join(' ')}\n`,
    };
  },
});

add({
  name: 'libvirtd',
  header: h('345', 97, 3),
  description: 'This is a daemon for managing guest instances and libvirt virtual networks',
  startMsg: 'Starting libvirtd daemon: ',
  stopMsg: 'Stopping libvirtd daemon: ',
  start: (node, generic) => {
    const r = generic();
    node.virt.onLibvirtdStart();
    return r;
  },
  stop: (node, generic) => {
    const r = generic();
    node.virt.onLibvirtdStop();
    return r;
  },
});

/** The base system's services, by init-script name. */
export const SERVICES: Readonly<Record<string, ServiceDef>> = Object.freeze(catalogue);

/** Definition of `name` on this node: its world's, else generic daemon behaviour. */
export function serviceDef(node: LabNode, name: string): ServiceDef {
  return serviceDefOf(node, node.world.service(name), name);
}

/**
 * Run an init-script action the way EL6 scripts behave (see init-script.ts), with the definition the
 * node's world has for `name`.
 */
export function runAction(
  node: LabNode,
  name: string,
  action: string | undefined,
  args: string[],
  script: string,
): MaybePromise<ActionResult> {
  return runInitScript(node, node.world.service(name), name, action, args, script);
}
