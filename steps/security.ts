/**
 * Network security: the tutorial disables iptables, ip6tables and SELinux to keep the focus on
 * clustering while learning (both should be enabled before production). The answers decide.
 */
import type { FileSpec, Step, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { parseChkconfig, isOffAtBoot, onLevels } from '../src/verify/chkconfig.js';

const FIREWALLS = ['iptables', 'ip6tables'] as const;
const SELINUX_CONFIG = '/etc/selinux/config';

/** Set `SELINUX=<mode>` in the content of /etc/selinux/config (idempotent; appends the line when absent). */
export function setSelinux(mode: string): (current: string) => string {
  return (current) => {
    const line = `SELINUX=${mode}`;
    if (/^SELINUX=.*$/m.test(current)) return current.replace(/^SELINUX=.*$/m, line);
    return current + (current === '' || current.endsWith('\n') ? '' : '\n') + line + '\n';
  };
}

/** The value of the active `SELINUX=` line, if any. */
export function selinuxValue(config: string): string | undefined {
  return /^SELINUX=\s*"?([A-Za-z]+)"?\s*$/m.exec(config)?.[1];
}

function selinuxFile(p: Plan): FileSpec {
  return {
    path: SELINUX_CONFIG,
    template: 'etc/selinux/config.ejs',
    edit: setSelinux(p.answers.security.selinux),
    backup: 'orig',
  };
}

async function chkconfigList(ctx: TaskContext, services: readonly string[]) {
  // NOTE: one call per service: `chkconfig --list a b` only lists `a`.
  const texts = await Promise.all(services.map((s) => ctx.node.exec(`chkconfig --list ${s}`)));
  return parseChkconfig(texts.map((r) => r.stdout).join('\n'));
}

export const security: Step = {
  id: 'security',
  perNode: true,
  title: 'Network security: firewall and SELinux',
  ifSkipped:
    'iptables stays on and SELinux as it is: cman, DRBD and ricci traffic is blocked, so the cluster will not form (cluster-foundation fails)',
  doc:
    'RHCS stable 3 supports SELinux, but it is disabled in this tutorial, and both iptables and ip6tables firewalls are ' +
    'disabled. For learning, this keeps the focus on the clustering and simplifies debugging when things go wrong. In ' +
    'production clusters these steps are ill advised: enable first the firewall (dlm TCP 21064, drbd TCP 7788+, ' +
    'modclusterd TCP 16851, ricci TCP 11111, totem UDP 5404-5405), then SELinux. security.firewall and ' +
    'security.selinux in the answers decide what this step does.',
  warnings: ['You must reboot for the SELinux change to take effect.'],
  tasks: [
    {
      id: 'security.firewall',
      title: 'Disable iptables and ip6tables',
      on: 'both',
      kind: 'safe',
      commands: (p) =>
        p.answers.security.firewall === 'disabled'
          ? [...FIREWALLS.map((f) => `chkconfig ${f} off`), ...FIREWALLS.map((f) => `/etc/init.d/${f} stop`)]
          : [],
      expect: (p) =>
        p.answers.security.firewall === 'disabled'
          ? ['chkconfig --list iptables and ip6tables show every runlevel off']
          : [
              'firewall left as installed (security.firewall: enabled); open dlm 21064/tcp, drbd ports, ricci 11111/tcp, modclusterd 16851/tcp, totem 5404-5405/udp',
            ],
      async verify(ctx) {
        if (ctx.plan.answers.security.firewall !== 'disabled')
          return { summary: 'firewall left as installed (security.firewall: enabled)' };
        const list = await chkconfigList(ctx, FIREWALLS);
        const on = FIREWALLS.filter((f) => list.has(f) && !isOffAtBoot(list, f));
        if (on.length)
          throw new VerifyFailed(
            'security.firewall',
            ctx.node.plan.name,
            `${on.join(' and ')} off in every runlevel`,
            on.map((f) => `${f} on in runlevels ${onLevels(list, f)}`).join('; '),
          );
        // NOTE: a minimal install may lack ip6tables or iptables entirely; absent counts as off.
        return { summary: `${FIREWALLS.map((f) => `${f} ${list.has(f) ? 'off' : 'not installed'}`).join(', ')}` };
      },
    },
    {
      id: 'security.selinux',
      title: 'Set SELinux mode in /etc/selinux/config',
      on: 'both',
      kind: 'safe',
      files: (p) => [selinuxFile(p)],
      expect: (p) => [`${SELINUX_CONFIG} has SELINUX=${p.answers.security.selinux} (takes effect at the next reboot)`],
      expectedOutput: (p) =>
        [
          `--- ${SELINUX_CONFIG}.orig`,
          `+++ ${SELINUX_CONFIG}`,
          '-SELINUX=enforcing',
          `+SELINUX=${p.answers.security.selinux}`,
        ].join('\n'),
      async run(ctx) {
        const want = ctx.plan.answers.security.selinux;
        const mode = async () => (await ctx.node.exec('getenforce', { timeoutMs: 10_000 })).stdout.trim().toLowerCase();
        const now = await mode();
        if (!now || now === want) return;
        const note = `${ctx.node.plan.name}: SELinux is ${now} now; reboot for SELINUX=${want} to take effect`;
        // NOTE: settled when the node runs in the wanted mode by the end of the run (a later reboot, or
        // a fence test's power cycle, booted it with the new config).
        if (ctx.todo) ctx.todo(note, async () => (await mode()) === want);
        else ctx.log(note);
      },
      async verify(ctx) {
        const want = ctx.plan.answers.security.selinux;
        const text = await ctx.node.readFile(SELINUX_CONFIG);
        const seen = text === null ? undefined : selinuxValue(text);
        if (seen !== want)
          throw new VerifyFailed(
            'security.selinux',
            ctx.node.plan.name,
            `SELINUX=${want} in ${SELINUX_CONFIG}`,
            text === null ? `no ${SELINUX_CONFIG}` : seen ? `SELINUX=${seen}` : 'no SELINUX= line',
          );
        return { summary: `SELINUX=${seen} (effective after reboot)`, details: { selinux: seen } };
      },
    },
  ],
};
