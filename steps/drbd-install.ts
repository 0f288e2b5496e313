/**
 * Installing DRBD (8.3, from ELRepo as the tutorial does, or LINBIT's repository, or source) and
 * hooking DRBD into the cluster's fencing with a fence-peer handler (obliterate-peer.sh).
 */
import type { FileSpec, Step, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { parseRpmQuery } from '../src/verify/rpm-query.js';

const ELREPO_KEY = 'http://elrepo.org/RPM-GPG-KEY-elrepo.org';
const ELREPO_RPM = 'http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm';
const DRBD_SOURCE = 'drbd-8.3.15';
const LINBIT_REPO = '/etc/yum.repos.d/linbit.repo';
/** Shown in plan/runbook where the LINBIT URL hash from the account page goes. */
export const LINBIT_HASH_PLACEHOLDER = '<LINBIT-URL-HASH>';

/** Where the fence handler comes from: Lon Hohberger's obliterate-peer.sh, or the newer rhcs_fence. */
export function fenceHandlerUrl(path: string): string {
  return /(^|\/)rhcs_fence$/.test(path)
    ? 'https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence'
    : 'https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh';
}

/** The packages `rpm -q` must find for each install source (source builds are not RPMs). */
export function drbdPackages(p: Plan): string[] {
  switch (p.storage.drbd.source) {
    case 'elrepo':
      return ['drbd83-utils', 'kmod-drbd83'];
    case 'linbit':
      return ['drbd', 'kmod-drbd'];
    case 'source':
      return [];
  }
}

function linbitFile(p: Plan): FileSpec {
  return {
    path: LINBIT_REPO,
    template: 'drbd/linbit.repo.ejs',
    locals: { hash: p.storage.drbd.linbitHash ?? LINBIT_HASH_PLACEHOLDER },
    backup: 'orig',
  };
}

/** The install commands of the chosen source, as the tutorial gives them. */
export function installCommands(p: Plan): string[] {
  switch (p.storage.drbd.source) {
    case 'elrepo':
      return [
        `rpm --import ${ELREPO_KEY}`,
        // NOTE: `rpm -Uvh` of an installed package fails; the guard keeps the task re-runnable.
        `rpm -q elrepo-release >/dev/null 2>&1 || rpm -Uvh ${ELREPO_RPM}`,
        'yum install -y drbd83-utils kmod-drbd83',
      ];
    case 'linbit':
      return ['yum install -y drbd kmod-drbd'];
    case 'source': {
      const dir = `/usr/src/${DRBD_SOURCE}`;
      return [
        'yum install -y flex gcc make kernel-devel',
        `cd /usr/src && wget -c http://oss.linbit.com/drbd/8.3/${DRBD_SOURCE}.tar.gz`,
        `cd /usr/src && tar -xvzf ${DRBD_SOURCE}.tar.gz`,
        `cd ${dir} && ./configure --prefix=/usr --localstatedir=/var --sysconfdir=/etc --with-utils --with-km --with-udev --with-pacemaker --with-rgmanager --with-bashcompletion`,
        `cd ${dir} && make`,
        `cd ${dir} && make install`,
        'chkconfig --add drbd',
        'chkconfig drbd off',
      ];
    }
  }
}

async function verifyInstall(ctx: TaskContext) {
  const node = ctx.node.plan.name;
  const pkgs = drbdPackages(ctx.plan);
  if (pkgs.length === 0) {
    const r = await ctx.node.exec('test -x /sbin/drbdadm && modinfo -F version drbd');
    const version = r.stdout.trim();
    if (r.code !== 0 || !version.startsWith('8.3'))
      throw new VerifyFailed(
        'drbd-install.packages',
        node,
        '/sbin/drbdadm and the drbd 8.3 kernel module',
        r.code === 0
          ? `drbd module version ${version || 'unknown'}`
          : `missing (${r.stderr.trim() || `exit ${r.code}`})`,
      );
    return { summary: `DRBD ${version} built from source`, details: { version } };
  }
  const r = await ctx.node.exec(`rpm -q ${pkgs.join(' ')}`);
  const got = parseRpmQuery(r.stdout + '\n' + r.stderr, pkgs);
  const missing = pkgs.filter((x) => !got.installed.has(x));
  if (missing.length)
    throw new VerifyFailed(
      'drbd-install.packages',
      node,
      `installed: ${pkgs.join(', ')}`,
      `not installed: ${missing.join(', ')}`,
    );
  const versions = pkgs.map((x) => got.installed.get(x)![0]).join(', ');
  return { summary: versions, details: Object.fromEntries(pkgs.map((x) => [x, got.installed.get(x)![0]])) };
}

/** Step "Installing DRBD": packages from the chosen source, then the fence-peer handler on both nodes. */
export const drbdInstall: Step = {
  id: 'drbd-install',
  title: 'Installing DRBD',
  ifSkipped: 'DRBD is not installed and its fence handler not set: the partition and DRBD configuration steps fail',
  doc:
    'DRBD keeps the data on the cluster consistent between the two nodes with real-time, block-level replication. The ' +
    'tutorial uses the 8.3.x version, which tracks the Red Hat and LINBIT supported versions. Three sources: a fully ' +
    'supported copy from LINBIT (needs the URL hash of your LINBIT account), the community ELRepo repository (the ' +
    "tutorial's method), or LINBIT's source code. Then DRBD is hooked into the cluster's fencing: a fence-peer " +
    "handler catches DRBD's fence calls and calls the cluster's fence_node against the other node, so DRBD avoids " +
    'split-brain without a second fence configuration.',
  tasks: [
    {
      id: 'drbd-install.packages',
      title: 'Install DRBD 8.3',
      on: 'both',
      kind: 'safe',
      files: (p) => (p.storage.drbd.source === 'linbit' ? [linbitFile(p)] : []),
      commands: (p) => installCommands(p),
      expect: (p) =>
        drbdPackages(p).length
          ? [`rpm -q ${drbdPackages(p).join(' ')} lists both packages`]
          : ['/sbin/drbdadm exists and `modinfo -F version drbd` is 8.3.x'],
      expectedOutput: (p) =>
        p.storage.drbd.source === 'elrepo'
          ? 'Retrieving http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm\nPreparing...                ########################################### [100%]\n   1:elrepo-release         ########################################### [100%]'
          : '',
      async run(ctx) {
        // NOTE: the LINBIT repository needs the hash of the operator's account; ask rather than write a placeholder.
        if (ctx.plan.storage.drbd.source === 'linbit' && !ctx.plan.storage.drbd.linbitHash) {
          const hash = await ctx.prompt.input('LINBIT URL hash (LINBIT portal: Account, URL hash)', {
            path: 'storage.drbd.linbitHash',
          });
          const current = (await ctx.node.readFile(LINBIT_REPO)) ?? '';
          await ctx.node.writeFile(LINBIT_REPO, current.split(LINBIT_HASH_PLACEHOLDER).join(hash.trim()), {
            mode: 0o644,
            backup: 'none',
          });
        }
        for (const cmd of installCommands(ctx.plan)) await ctx.node.sh(cmd, { timeoutMs: 60 * 60_000 });
      },
      verify: verifyInstall,
    },
    {
      id: 'drbd-install.fence-peer',
      title: 'Install the DRBD fence-peer handler',
      on: 'both',
      kind: 'safe',
      commands: (p) => {
        const path = p.storage.drbd.fencePeer;
        return [`wget -c ${fenceHandlerUrl(path)} -O ${q(path)}`, `chmod a+x ${q(path)}`, `ls -lah ${q(path)}`];
      },
      expect: (p) => [`${p.storage.drbd.fencePeer} exists and is executable`],
      expectedOutput: (p) => `-rwxr-xr-x 1 root root 2.1K May  4  2011 ${p.storage.drbd.fencePeer}`,
      async verify(ctx) {
        const path = ctx.plan.storage.drbd.fencePeer;
        const r = await ctx.node.exec(`test -s ${q(path)} && test -x ${q(path)} && ls -l ${q(path)}`);
        if (r.code !== 0)
          throw new VerifyFailed(
            'drbd-install.fence-peer',
            ctx.node.plan.name,
            `${path} present and executable`,
            r.stdout.trim() || r.stderr.trim() || 'missing or not executable',
          );
        return { summary: r.stdout.trim() };
      },
    },
  ],
};
