/**
 * Installing required programs, removing libvirt's default NAT bridge, and keeping time in sync
 * with NTP.
 */
import type { Step, TaskContext } from '../src/engine/types.js';
import { CommandFailed, VerifyFailed } from '../src/errors.js';
import { parseRpmQuery } from '../src/verify/rpm-query.js';
import { parseVirshNetList } from '../src/verify/virsh-net.js';
import { parseChkconfig, isOnAtBoot, onLevels } from '../src/verify/chkconfig.js';

/** The tutorial's package list, in its order. */
export const PACKAGES = [
  'cman',
  'corosync',
  'rgmanager',
  'ricci',
  'gfs2-utils',
  'ntp',
  'libvirt',
  'lvm2-cluster',
  'qemu-kvm',
  'qemu-kvm-tools',
  'virt-install',
  'virt-viewer',
  'syslinux',
  'wget',
  'gpm',
  'rsync',
] as const;

const NTP_CONF = '/etc/ntp.conf';
const VIRSH_NET = ['virsh net-destroy default', 'virsh net-autostart default --disable', 'virsh net-undefine default'];

/** The two lines the tutorial appends to /etc/ntp.conf. */
export function ntpLines(server: string): string[] {
  return [`server ${server}`, `restrict ${server} mask 255.255.255.255 nomodify notrap noquery`];
}

/** Append the NTP lines that are not there yet (idempotent). */
export function addNtpServer(server: string): (current: string) => string {
  return (current) => {
    const have = new Set(current.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')));
    const add = ntpLines(server).filter((l) => !have.has(l));
    if (!add.length) return current;
    return current + (current === '' || current.endsWith('\n') ? '' : '\n') + add.join('\n') + '\n';
  };
}

/** virsh errors that mean "already gone" (a re-run), per libvirt 0.9/0.10 wording. */
const ALREADY =
  /network not found|no network with matching name|network is not active|not (?:an )?active|failed to get network/i;

async function service(ctx: TaskContext, name: string) {
  const r = await ctx.node.exec(`chkconfig --list ${name}`);
  return parseChkconfig(r.stdout);
}

function installCommand(): string {
  return `yum install -y ${PACKAGES.join(' ')}`;
}

export const packages: Step = {
  id: 'packages',
  perNode: true,
  title: 'Installing required programs and keeping time in sync',
  ifSkipped: "cman, rgmanager, DRBD's tools, libvirt and the fence agents are not installed: every later step fails",
  doc:
    'The tutorial is written for minimal installs, so everything the cluster needs is installed here: the cluster stack ' +
    '(cman, corosync, rgmanager, ricci), gfs2-utils, clustered LVM, libvirt with KVM and its tools, NTP and a few ' +
    'utilities (gpm is optional; it provides mouse support on the console). By default libvirtd creates a bridge called ' +
    'virbr0 designed to connect virtual machines to the first eth0 interface; our VMs use the IFN bridge, so it is ' +
    'removed. It is very important that time on both nodes be kept in sync, so ntpd is pointed at the chosen time ' +
    'server, enabled at boot and started.',
  warnings: [
    'Red Hat customers need the "RHEL Server Resilient Storage" entitlement (or "RHEL Server High Availability" without GFS2) before installing.',
  ],
  tasks: [
    {
      id: 'packages.install',
      title: 'Install the cluster, virtualization and utility packages',
      on: 'both',
      kind: 'safe',
      commands: () => [installCommand()],
      expect: () => [`rpm -q lists every package installed: ${PACKAGES.join(', ')}`],
      async verify(ctx) {
        const r = await ctx.node.exec(`rpm -q ${PACKAGES.join(' ')}`);
        const res = parseRpmQuery(r.stdout + '\n' + r.stderr, PACKAGES);
        const missing = PACKAGES.filter((p) => !res.installed.has(p));
        if (missing.length)
          throw new VerifyFailed(
            'packages.install',
            ctx.node.plan.name,
            `all ${PACKAGES.length} packages installed`,
            `not installed: ${missing.join(', ')}`,
          );
        return {
          summary: `${PACKAGES.length} packages installed`,
          details: Object.fromEntries(PACKAGES.map((p) => [p, res.installed.get(p)![0]])),
        };
      },
    },
    {
      id: 'packages.libvirt-bridge',
      title: "Disable the 'qemu' bridge (libvirt's default network)",
      on: 'both',
      kind: 'safe',
      commands: () => [...VIRSH_NET],
      expect: () => ['virsh net-list --all has no "default" network (virbr0 gone)'],
      expectedOutput: () =>
        [
          'Network default destroyed',
          'Network default unmarked as autostarted',
          'Network default has been undefined',
        ].join('\n'),
      async run(ctx) {
        // NOTE: virsh needs libvirtd; a fresh install has it enabled but not yet started.
        if ((await ctx.node.exec('/etc/init.d/libvirtd status')).code !== 0)
          await ctx.node.sh('/etc/init.d/libvirtd start');
        for (const cmd of VIRSH_NET) {
          const r = await ctx.node.exec(cmd);
          if (r.code !== 0 && !ALREADY.test(r.stdout + r.stderr))
            throw new CommandFailed(ctx.node.plan.name, cmd, r.code, r.stderr || r.stdout);
        }
      },
      async verify(ctx) {
        const r = await ctx.node.exec('virsh net-list --all');
        if (r.code !== 0)
          throw new VerifyFailed(
            'packages.libvirt-bridge',
            ctx.node.plan.name,
            'virsh net-list --all to answer',
            (r.stderr || r.stdout).trim() || `exit ${r.code}`,
          );
        const nets = parseVirshNetList(r.stdout);
        const d = nets.find((x) => x.name === 'default');
        if (d)
          throw new VerifyFailed(
            'packages.libvirt-bridge',
            ctx.node.plan.name,
            'no "default" network',
            `default ${d.state}, autostart ${d.autostart}`,
          );
        return { summary: `no default network (${nets.length ? nets.map((x) => x.name).join(', ') : 'no networks'})` };
      },
    },
    {
      id: 'packages.ntp-conf',
      title: `Add the time server to ${NTP_CONF}`,
      on: 'both',
      kind: 'safe',
      files: (p) => [
        { path: NTP_CONF, template: 'etc/ntp.conf.ejs', edit: addNtpServer(p.answers.ntp.server), backup: 'orig' },
      ],
      expect: (p) => ntpLines(p.answers.ntp.server).map((l) => `${NTP_CONF} has "${l}"`),
      expectedOutput: (p) =>
        [
          'tail -n 4 /etc/ntp.conf',
          '# Enable writing of statistics records.',
          '#statistics clockstats cryptostats loopstats peerstats',
          ...ntpLines(p.answers.ntp.server),
        ].join('\n'),
      async verify(ctx) {
        const text = (await ctx.node.readFile(NTP_CONF)) ?? '';
        const have = new Set(text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')));
        const missing = ntpLines(ctx.plan.answers.ntp.server).filter((l) => !have.has(l));
        if (missing.length)
          throw new VerifyFailed(
            'packages.ntp-conf',
            ctx.node.plan.name,
            `${NTP_CONF} lines: ${missing.join(' / ')}`,
            text ? 'lines absent' : `no ${NTP_CONF}`,
          );
        return { summary: `${NTP_CONF} uses ${ctx.plan.answers.ntp.server}` };
      },
    },
    {
      id: 'packages.ntpd',
      title: 'Start ntpd now and at boot',
      on: 'both',
      kind: 'safe',
      commands: () => ['chkconfig ntpd on', '/etc/init.d/ntpd start'],
      expect: () => ['chkconfig --list ntpd shows 2:on 3:on 4:on 5:on', '/etc/init.d/ntpd status: running'],
      expectedOutput: () => 'Starting ntpd:                                             [  OK  ]',
      async run(ctx) {
        await ctx.node.sh('chkconfig ntpd on');
        // NOTE: `start` on a running ntpd does nothing; a re-run after a changed server must restart it.
        const running = (await ctx.node.exec('/etc/init.d/ntpd status')).code === 0;
        await ctx.node.sh(running ? '/etc/init.d/ntpd restart' : '/etc/init.d/ntpd start');
      },
      async verify(ctx) {
        const list = await service(ctx, 'ntpd');
        const name = ctx.node.plan.name;
        if (!isOnAtBoot(list, 'ntpd'))
          throw new VerifyFailed(
            'packages.ntpd',
            name,
            'ntpd on in runlevels 2,3,4,5',
            list.has('ntpd') ? `on in runlevels ${onLevels(list, 'ntpd') || 'none'}` : 'ntpd not listed by chkconfig',
          );
        const st = await ctx.node.exec('/etc/init.d/ntpd status');
        if (st.code !== 0)
          throw new VerifyFailed(
            'packages.ntpd',
            name,
            'ntpd running',
            (st.stdout + st.stderr).trim() || `status exit ${st.code}`,
          );
        return { summary: `ntpd on at boot and running: ${st.stdout.trim()}` };
      },
    },
  ],
};
