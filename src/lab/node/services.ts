/**
 * Services: the catalogue of init scripts the lab knows (messages, chkconfig defaults, special
 * behaviour) and the generic EL6 init-script engine (start/stop/restart/status with `[  OK  ]`
 * columns and exit codes 0/1/3). Other parts of the lab add services with `registerService`.
 */
import type { LabNode } from './node.js';
import { statusLine, readHeader, type ChkHeader } from './rc.js';

/** What an init-script action printed and returned. */
export interface ActionResult {
  code: number;
  out: string;
}

/** One service the lab knows. */
export interface ServiceDef {
  name: string;
  /** chkconfig header: default levels, start and stop priorities. */
  header: ChkHeader;
  description: string;
  /** Process name for `status` ("ntpd (pid  1234) is running..."). */
  proc?: string;
  /** "Starting ntpd: " */
  startMsg?: string;
  /** "Shutting down ntpd: " */
  stopMsg?: string;
  /** Actions listed in the usage message. */
  usage?: string;
  /** Custom behaviour; may call `generic` for the default. */
  start?(node: LabNode, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  stop?(node: LabNode, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  status?(node: LabNode, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  /** Extra actions (reload, ...). */
  actions?: Record<string, (node: LabNode, args: string[]) => ActionResult | Promise<ActionResult>>;
}

/** Every service the lab knows, by init-script name. */
export const SERVICES: Record<string, ServiceDef> = {};

/** Add (or replace) a service definition. */
export function registerService(def: ServiceDef): void {
  SERVICES[def.name] = def;
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
  registerService({ name, header, description, startMsg, stopMsg, proc });
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
// NOTE: drbd, clvmd and gfs2 are registered by the storage subsystem (src/lab/storage/).
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
  registerService({
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

registerService({
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

registerService({
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

registerService({
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

/** Definition for a script without a catalogue entry: generic daemon behaviour. */
export function serviceDef(node: LabNode, name: string): ServiceDef {
  const known = SERVICES[name];
  if (known) return known;
  const header = readHeader(node.fs, name) ?? h('', 50, 50);
  return { name, header, description: name, startMsg: `Starting ${name}: `, stopMsg: `Stopping ${name}: `, proc: name };
}

/**
 * Run an init-script action the way EL6 scripts behave: start/stop with the status column,
 * status → 0 running / 3 stopped, restart = stop + start, unknown action → usage, exit 2.
 */
export function runAction(
  node: LabNode,
  name: string,
  action: string | undefined,
  args: string[],
  script: string,
): MaybePromise<ActionResult> {
  const def = serviceDef(node, name);
  const proc = def.proc ?? name;
  const gStart = (): ActionResult => {
    node.markRunning(name);
    return { code: 0, out: statusLine(def.startMsg ?? `Starting ${name}: `, true) };
  };
  const gStop = (): ActionResult => {
    if (!node.isRunning(name)) return { code: 1, out: statusLine(def.stopMsg ?? `Stopping ${name}: `, false) };
    node.markStopped(name);
    return { code: 0, out: statusLine(def.stopMsg ?? `Stopping ${name}: `, true) };
  };
  const gStatus = (): ActionResult => {
    const pid = node.pidOf(name);
    return pid ? { code: 0, out: `${proc} (pid  ${pid}) is running...\n` } : { code: 3, out: `${proc} is stopped\n` };
  };
  const start = () => (def.start ? def.start(node, gStart) : gStart());
  const stop = () => (def.stop ? def.stop(node, gStop) : gStop());
  const both = () => andThen(stop(), (a) => andThen(start(), (b) => ({ code: b.code, out: a.out + b.out })));
  switch (action) {
    case 'start':
      return start();
    case 'stop':
      return stop();
    case 'status':
      return def.status ? def.status(node, gStatus) : gStatus();
    case 'restart':
    case 'force-reload':
      return both();
    case 'condrestart':
    case 'try-restart':
      return node.isRunning(name) ? both() : { code: 0, out: '' };
    case 'reload':
      if (def.actions?.reload) return def.actions.reload(node, args);
      if (!node.isRunning(name)) return { code: 7, out: statusLine(`Reloading ${name}: `, false) };
      return { code: 0, out: statusLine(`Reloading ${name}: `, true) };
  }
  if (action && def.actions?.[action]) return def.actions[action](node, args);
  return {
    code: 2,
    out: `Usage: ${script} {${def.usage ?? 'start|stop|status|restart|condrestart|try-restart|reload|force-reload'}}\n`,
  };
}

/** A value or a promise of it: built-in services act synchronously, later ones may not. */
export type MaybePromise<T> = T | Promise<T>;

/** Continue with `f` after `x`, staying synchronous when `x` is not a promise. */
export function andThen<T, U>(x: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return x instanceof Promise ? x.then(f) : f(x);
}
