/**
 * Installing DRBD (8.3, from ELRepo as the tutorial does, or LINBIT's repository, or source) and
 * hooking DRBD into the cluster's fencing with a fence-peer handler (rhcs_fence by default, or the
 * tutorial's obliterate-peer.sh: see `fenceHandlerEffect`).
 */
import type { FileSpec, Step, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { parseRpmQuery } from '../src/verify/rpm-query.js';
import type { FenceHandler } from '../src/plan/schema.js';

const ELREPO_KEY = 'http://elrepo.org/RPM-GPG-KEY-elrepo.org';
const ELREPO_RPM = 'http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm';
const DRBD_SOURCE = 'drbd-8.3.15';
const LINBIT_REPO = '/etc/yum.repos.d/linbit.repo';
/** Shown in plan/runbook where the LINBIT URL hash from the account page goes. */
export const LINBIT_HASH_PLACEHOLDER = '<LINBIT-URL-HASH>';

/** Where each fence handler is downloaded from (tutorial 2094 and 2121). */
export const FENCE_HANDLER_URLS: Record<FenceHandler, string> = {
  rhcs_fence: 'https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence',
  'obliterate-peer': 'https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh',
};

/** Where the plan's fence handler comes from. */
export function fenceHandlerUrl(p: Plan): string {
  return FENCE_HANDLER_URLS[p.storage.drbd.fenceHandler];
}

/**
 * What each handler does when one node loses its Storage Network (both SN links): each node's DRBD
 * loses its peer and calls the handler at the same moment (tutorial 2118-2120).
 */
export function fenceHandlerEffect(h: FenceHandler): string {
  return h === 'rhcs_fence'
    ? 'rhcs_fence: on a storage network loss both nodes call it at once; node ID 1 fences at once, node ID 2 first waits (ID*2+5 s), so node 1 fences node 2 and stays up with every guest it can run'
    : 'obliterate-peer.sh (the tutorial\'s): on a storage network loss both nodes call it at once and each fences the other without delay, so both nodes can go down ("simultaneous fencing", 2118-2120)';
}

/** What the handler file must look like: its interpreter line and words of the program, never an HTML page. */
function handlerSignature(h: FenceHandler): { shebang: RegExp; words: string[]; dryRun: (path: string) => string } {
  return h === 'rhcs_fence'
    ? { shebang: /^#!\s*\/usr\/bin\/perl\b/, words: ['rhcs_fence'], dryRun: (x) => `perl -c ${q(x)}` }
    : { shebang: /^#!\s*\/bin\/(ba)?sh\b/, words: ['fence_node'], dryRun: (x) => `bash -n ${q(x)}` };
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
  perNode: true,
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
        const path = q(p.storage.drbd.fencePeer);
        const h = p.storage.drbd.fenceHandler;
        return [
          // NOTE: rhcs_fence is a Perl program: perl comes with fence-agents on EL6; installing it is explicit.
          ...(h === 'rhcs_fence' ? ['yum install -y perl'] : []),
          `wget -c ${fenceHandlerUrl(p)} -O ${path}`,
          `chmod ${h === 'rhcs_fence' ? '755' : 'a+x'} ${path}`,
          `ls -lah ${path}`,
          handlerSignature(h).dryRun(p.storage.drbd.fencePeer),
        ];
      },
      expect: (p) => [
        `${p.storage.drbd.fencePeer} is the ${p.storage.drbd.fenceHandler} program (its interpreter line and content, not an error page) and executable`,
        `\`${handlerSignature(p.storage.drbd.fenceHandler).dryRun(p.storage.drbd.fencePeer)}\` passes (the handler parses; nothing is fenced)`,
        fenceHandlerEffect(p.storage.drbd.fenceHandler),
      ],
      expectedOutput: (p) =>
        p.storage.drbd.fenceHandler === 'rhcs_fence'
          ? `-rwxr-xr-x 1 root root 15K Jan 24 22:04 ${p.storage.drbd.fencePeer}`
          : `-rwxr-xr-x 1 root root 2.1K May  4  2011 ${p.storage.drbd.fencePeer}`,
      async verify(ctx) {
        const path = ctx.plan.storage.drbd.fencePeer;
        const h = ctx.plan.storage.drbd.fenceHandler;
        const node = ctx.node.plan.name;
        const sig = handlerSignature(h);
        const fail = (want: string, seen: string) => {
          throw new VerifyFailed('drbd-install.fence-peer', node, want, seen);
        };
        const x = await ctx.node.exec(`test -s ${q(path)} && test -x ${q(path)} && ls -l ${q(path)}`);
        if (x.code !== 0)
          fail(`${path} present and executable`, x.stdout.trim() || x.stderr.trim() || 'missing or not executable');
        // NOTE: DRBD runs whatever this file is when it must fence (review N4): a download that saved an
        // HTML error page is executable too; check what the program is, then let its interpreter parse it.
        const text = (await ctx.node.readFile(path)) ?? '';
        const first = text.split('\n')[0];
        const missing = sig.words.filter((w) => !text.includes(w));
        if (!sig.shebang.test(first) || missing.length || /<html|<!doctype/i.test(text.slice(0, 512)))
          fail(
            `${path} is the ${h} handler (interpreter line ${sig.shebang.source}, mentions ${sig.words.join(', ')})`,
            `first line ${JSON.stringify(first.slice(0, 80))}${missing.length ? `; lacks ${missing.join(', ')}` : ''}`,
          );
        const dry = await ctx.node.exec(sig.dryRun(path));
        if (dry.code !== 0)
          fail(
            `\`${sig.dryRun(path)}\` passes`,
            `exit ${dry.code}: ${(dry.stderr || dry.stdout).trim().slice(0, 300)}`,
          );
        return { summary: `${x.stdout.trim()}; ${h}; ${sig.dryRun(path)} ok`, details: { handler: h } };
      },
    },
  ],
};
