/**
 * Clustered LVM: LVM only looks at the DRBD devices and uses DLM (clustered) locking with no
 * fall-back to local locking; clvmd is tested and kept off at boot; then, with DRBD and clvmd
 * running on both nodes, the DRBD resources become PVs, each gets a clustered VG, and the shared
 * GFS2 partition gets its LV.
 */
import type { FileSpec, Step, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { chkconfigOff } from './cluster-conf.js';
import { parseCmanStatus } from '../src/verify/cman-status.js';
import { parseDrbdStatus, type DrbdStatus } from '../src/verify/drbd-status.js';
import { parseLvscan, parsePvscan, parseVgscan } from '../src/verify/lvm-scan.js';
import { poll } from '../src/verify/poll.js';

/** The filter that makes LVM look at DRBD devices only (the backing partitions carry the same signatures). */
export const DRBD_FILTER = '[ "a|/dev/drbd*|", "r/.*/" ]';
/** The comment the tutorial puts above it. */
export const DRBD_FILTER_COMMENT = "# We're only using LVM on DRBD resource.";
const STOCK_FILTER_COMMENT = /^\s*# By default we accept every block device:\s*$/;

const isActive = (line: string, key: string) => new RegExp(`^\\s*${key}\\s*=`).test(line);

/** Set `key = value` in `section { }`: the first active line is changed, or one is added to the section. */
function setKey(lines: string[], section: string, key: string, value: string): string[] {
  const i = lines.findIndex((l) => isActive(l, key));
  if (i >= 0) {
    const indent = /^\s*/.exec(lines[i])![0];
    lines[i] = `${indent}${key} = ${value}`;
    return lines;
  }
  const s = lines.findIndex((l) => new RegExp(`^\\s*${section}\\s*\\{`).test(l));
  if (s < 0) return [...lines, `${section} {`, `    ${key} = ${value}`, '}'];
  lines.splice(s + 1, 0, `    ${key} = ${value}`);
  return lines;
}

/**
 * The tutorial's three lvm.conf changes, applied to the node's own file: the DRBD-only filter
 * (with its comment), `locking_type = 3` and `fallback_to_local_locking = 0`. Idempotent.
 */
export function editLvmConf(current: string): string {
  const trailing = current.endsWith('\n');
  let lines = (trailing ? current.slice(0, -1) : current).split('\n');
  const filters = lines.map((l, i) => (isActive(l, 'filter') ? i : -1)).filter((i) => i >= 0);
  // NOTE: only one filter line may be active; later ones are commented out so ours is the one used.
  for (const i of filters.slice(1)) lines[i] = lines[i].replace(/^(\s*)/, '$1# ');
  lines = setKey(lines, 'devices', 'filter', DRBD_FILTER);
  const f = lines.findIndex((l) => isActive(l, 'filter'));
  const indent = /^\s*/.exec(lines[f])![0];
  const prev = lines[f - 1] ?? '';
  if (STOCK_FILTER_COMMENT.test(prev)) lines[f - 1] = `${indent}${DRBD_FILTER_COMMENT}`;
  else if (prev.trim() !== DRBD_FILTER_COMMENT) lines.splice(f, 0, `${indent}${DRBD_FILTER_COMMENT}`);
  lines = setKey(lines, 'global', 'locking_type', '3');
  lines = setKey(lines, 'global', 'fallback_to_local_locking', '0');
  return lines.join('\n') + (trailing ? '\n' : '');
}

/** The active values of the three settings in an lvm.conf. */
export function lvmSettings(text: string): { filter?: string; lockingType?: string; fallbackToLocal?: string } {
  const get = (key: string) => {
    const line = text.split('\n').find((l) => isActive(l, key));
    return line
      ?.replace(/^\s*\w+\s*=\s*/, '')
      .replace(/\s+#.*$/, '')
      .trim();
  };
  return { filter: get('filter'), lockingType: get('locking_type'), fallbackToLocal: get('fallback_to_local_locking') };
}

function lvmFile(): FileSpec {
  return { path: '/etc/lvm/lvm.conf', template: 'lvm/lvm.conf.ejs', edit: editLvmConf, backup: 'orig' };
}

const devices = (p: Plan) => p.resources.map((r) => r.device);
const tokens = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((x): x is string => !!x);

async function existingPvs(node: TaskContext['node']): Promise<Set<string>> {
  return new Set(tokens((await node.exec('pvs --noheadings -o pv_name')).stdout));
}
async function existingVgs(node: TaskContext['node']): Promise<Set<string>> {
  return new Set(tokens((await node.exec('vgs --noheadings -o vg_name')).stdout));
}
async function existingLvs(node: TaskContext['node'], vg: string): Promise<Set<string>> {
  const r = await node.exec(`lvs --noheadings -o lv_name ${q(vg)}`);
  return r.code === 0 ? new Set(tokens(r.stdout)) : new Set();
}

/** Run a scan on both nodes (the peer sees the change through DRBD a moment later) and check it. */
async function scanBoth<T>(
  ctx: TaskContext,
  task: string,
  cmd: string,
  parse: (s: string) => T[],
  key: (t: T) => string,
  want: string[],
  what: string,
) {
  const seen: string[] = [];
  for (const node of [ctx.node, ctx.peer]) {
    const got = await poll(
      async () => parse((await node.exec(cmd)).stdout),
      (list) => want.every((w) => list.some((t) => key(t) === w)),
    );
    const missing = want.filter((w) => !got.some((t) => key(t) === w));
    if (missing.length)
      throw new VerifyFailed(
        task,
        node.plan.name,
        `${cmd} shows ${want.join(', ')}`,
        `missing ${missing.join(', ')}; saw ${got.map(key).join(', ') || 'nothing'}`,
      );
    seen.push(`${node.plan.name}: ${want.length} ${what}`);
  }
  return { summary: seen.join('; '), details: { [what]: want.join(', ') } };
}

const dualPrimary = (s: DrbdStatus, p: Plan) =>
  p.resources.every((r) => {
    const row = s.rows.find((x) => x.resource === r.name);
    return (
      !!row &&
      row.cs === 'Connected' &&
      row.ro.join('/') === 'Primary/Primary' &&
      row.ds.join('/') === 'UpToDate/UpToDate'
    );
  });

/**
 * Mount points and swap of the system that live on device-mapper (LVM, dm-crypt): every mounted file
 * system (a data VG on /srv vanishes at boot as surely as /) and every active swap, plus what
 * /etc/fstab will mount or swap on at boot. The cluster's own GFS2 (on a clustered VG over DRBD) is not
 * the system's.
 */
export function osOnDeviceMapper(mounts: string, swaps: string, fstab = ''): string[] {
  const dm = (dev: string) =>
    /^\/dev\/(mapper\/|dm-\d)/.test(dev) ||
    (/^\/dev\/[^/]+\/[^/]+$/.test(dev) && !/^\/dev\/(disk|md|pts|shm)\//.test(dev));
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (what: string, key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(what);
  };
  for (const l of mounts.split('\n')) {
    const [dev, mnt, type] = l.trim().split(/\s+/);
    if (dev && mnt && type !== 'rootfs' && type !== 'gfs2' && dm(dev)) add(`${mnt} on ${dev}`, `m:${mnt}`);
  }
  for (const l of swaps.split('\n').slice(1)) {
    const dev = l.trim().split(/\s+/)[0];
    if (dev && dm(dev)) add(`swap on ${dev}`, `s:${dev}`);
  }
  for (const l of fstab.split('\n')) {
    const [dev, mnt, type] = l.trim().split(/\s+/);
    if (!dev || dev.startsWith('#') || !mnt || type === 'gfs2' || !dm(dev)) continue;
    if (type === 'swap') add(`swap on ${dev} (fstab)`, `s:${dev}`);
    else add(`${mnt} on ${dev} (fstab)`, `m:${mnt}`);
  }
  return out;
}

/** Read /proc/mounts, /proc/swaps and /etc/fstab of a node and name what of the system is on device-mapper. */
export async function osLvmOf(node: TaskContext['node']): Promise<string[]> {
  const mounts = await node.exec('cat /proc/mounts');
  const swaps = await node.exec('cat /proc/swaps');
  const fstab = await node.readFile('/etc/fstab');
  return osOnDeviceMapper(mounts.code === 0 ? mounts.stdout : '', swaps.code === 0 ? swaps.stdout : '', fstab ?? '');
}

async function osLvmProblems(ctx: TaskContext): Promise<string[]> {
  return osLvmOf(ctx.node);
}

/** Step "Clustered Logical Volume Management": lvm.conf, clvmd test, PVs/VGs/LV on node 1. */
export const clvm: Step = {
  id: 'clvm',
  title: 'Clustered Logical Volume Management',
  ifSkipped: "no clustered volume groups: the GFS2 partition and the VMs' LVs cannot be created",
  doc:
    'All DRBD resources are managed by clustered LVM: DLM-backed locking for the LVs that back the VMs, and easy growth ' +
    'later. Three lvm.conf changes: filter out the DRBD backing devices so LVM does not see each signature twice (it ' +
    'would then ignore the DRBD device), switch to clustered locking (type 3), and forbid the fall-back to local ' +
    'locking so clustered volumes are only touched while DLM runs. clvmd is tested, then kept off at boot (the cluster ' +
    'will manage it). With DRBD and clvmd started on both nodes, node 1 creates the PVs, the clustered VGs (-c y fails ' +
    'loudly if clvmd is not running) and the LV of the shared GFS2 partition; both nodes see them.',
  tasks: [
    {
      id: 'clvm.os-not-on-lvm',
      title: "Check the node's own system is not on LVM (the DRBD-only filter would hide it)",
      on: 'both',
      kind: 'safe',
      commands: () => ['cat /proc/mounts', 'cat /proc/swaps'],
      // NOTE: the tutorial's nodes use plain partitions (sda1-3); a stock CentOS install puts / and
      // swap on LVM. With the filter "a|/dev/drbd*|", "r/.*/" that VG vanishes from every LVM tool:
      // the next boot cannot activate swap or /home, and the next initramfs cannot find root.
      async run(ctx) {
        const bad = await osLvmProblems(ctx);
        if (bad.length)
          throw new AnvilError(
            `${ctx.node.plan.name}: ${bad.join(', ')}: the system itself uses LVM (or device-mapper), and the DRBD-only LVM filter this step writes would hide it`,
            'reinstall the node with plain partitions as the tutorial does (/boot, swap and / on sda1-3), or add the system PV to the filter by hand (e.g. "a|/dev/sda2|" before "a|/dev/drbd*|") and skip this step',
          );
      },
      expect: () => [
        'every mounted file system, every swap and every /etc/fstab entry of the system is on a plain partition, not on LVM/device-mapper',
      ],
      async verify(ctx) {
        const bad = await osLvmProblems(ctx);
        if (bad.length)
          throw new VerifyFailed(
            'clvm.os-not-on-lvm',
            ctx.node.plan.name,
            'the system on plain partitions',
            bad.join(', '),
          );
        return { summary: 'system file systems and swap on plain partitions' };
      },
    },
    {
      id: 'clvm.lvm-conf',
      title: 'Configure clustered LVM locking in lvm.conf',
      on: 'both',
      kind: 'safe',
      files: () => [lvmFile()],
      expect: () => [`filter = ${DRBD_FILTER}`, 'locking_type = 3', 'fallback_to_local_locking = 0'],
      async verify(ctx) {
        const text = await ctx.node.readFile('/etc/lvm/lvm.conf');
        const s = lvmSettings(text ?? '');
        const want = { filter: DRBD_FILTER, lockingType: '3', fallbackToLocal: '0' };
        const wrong = (Object.keys(want) as (keyof typeof want)[]).filter(
          (k) => s[k]?.replace(/\s+/g, ' ') !== want[k],
        );
        if (wrong.length)
          throw new VerifyFailed(
            'clvm.lvm-conf',
            ctx.node.plan.name,
            `filter = ${want.filter}, locking_type = 3, fallback_to_local_locking = 0`,
            text === null
              ? 'no /etc/lvm/lvm.conf'
              : `filter = ${s.filter}, locking_type = ${s.lockingType}, fallback_to_local_locking = ${s.fallbackToLocal}`,
          );
        return { summary: 'DRBD-only filter, clustered locking, no local fall-back' };
      },
    },
    {
      id: 'clvm.cluster-up',
      title: 'Make sure the cluster is running',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/cman status >/dev/null 2>&1 || /etc/init.d/cman start', 'cman_tool status'],
      expect: (p) => [`cman_tool status: Cluster Member: Yes, Nodes: 2, Cluster Name: ${p.cluster.name}`],
      async verify(ctx) {
        const st = await poll(
          async () => parseCmanStatus((await ctx.node.exec('cman_tool status')).stdout),
          (s) => !!s.clusterMember && s.nodes === 2,
        );
        if (!st.clusterMember || st.nodes !== 2 || st.clusterName !== ctx.plan.cluster.name)
          throw new VerifyFailed(
            'clvm.cluster-up',
            ctx.node.plan.name,
            `member of ${ctx.plan.cluster.name} with 2 nodes`,
            `cluster ${st.clusterName ?? '?'}, member ${st.clusterMember ? 'yes' : 'no'}, nodes ${st.nodes ?? '?'}`,
          );
        return { summary: `member of ${st.clusterName}, ${st.nodes} nodes` };
      },
    },
    {
      id: 'clvm.clvmd-test',
      firstBuildOnly: 'clvmd is tried once by hand before the cluster manages it',
      title: 'Test clvmd, keep it off at boot',
      on: 'both',
      kind: 'safe',
      commands: () => [
        '/etc/init.d/clvmd start',
        'chkconfig clvmd off',
        'chkconfig --list clvmd',
        '/etc/init.d/clvmd stop',
      ],
      expect: () => [
        'clvmd starts ("No volume groups found" is expected now)',
        '`chkconfig --list clvmd` shows every runlevel off',
      ],
      expectedOutput: () =>
        'Starting clvmd: \nActivating VG(s):   No volume groups found\n                                                           [  OK  ]\nclvmd          \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\nSignaling clvmd to exit                                    [  OK  ]\nclvmd terminated                                           [  OK  ]',
      verify: (ctx) => chkconfigOff(ctx, 'clvm.clvmd-test', 'clvmd'),
    },
    {
      id: 'clvm.drbd-start',
      title: 'Start DRBD on both nodes',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/drbd start', '/etc/init.d/drbd status'],
      expect: (p) => [
        `every resource (${p.resources.map((r) => r.name).join(', ')}) Connected, Primary/Primary, UpToDate/UpToDate`,
      ],
      expectedOutput: (p) =>
        [
          `Starting DRBD resources: [ ${p.resources.map((r) => `d(${r.name})`).join(' ')} ${p.resources.map((r) => `n(${r.name})`).join(' ')} ].`,
          'drbd driver loaded OK; device status:',
          'm:res  cs         ro               ds                 p  mounted  fstype',
          ...p.resources.map(
            (r) => `${`${r.minor}:${r.name}`.padEnd(7)}Connected  Primary/Primary  UpToDate/UpToDate  C`,
          ),
        ].join('\n'),
      async verify(ctx) {
        const st = await poll(
          async () => parseDrbdStatus((await ctx.node.exec('/etc/init.d/drbd status')).stdout),
          (s) => dualPrimary(s, ctx.plan),
        );
        if (!dualPrimary(st, ctx.plan))
          throw new VerifyFailed(
            'clvm.drbd-start',
            ctx.node.plan.name,
            'every resource Connected Primary/Primary UpToDate/UpToDate',
            st.loaded
              ? st.rows.map((r) => `${r.resource} ${r.cs} ${r.ro.join('/')} ${r.ds.join('/')}`).join('; ')
              : 'drbd not loaded',
          );
        return { summary: st.rows.map((r) => `${r.resource} ${r.cs} ${r.ro.join('/')} ${r.ds.join('/')}`).join('; ') };
      },
    },
    {
      id: 'clvm.clvmd-start',
      title: 'Start clvmd on both nodes',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/clvmd start'],
      expect: () => ['`/etc/init.d/clvmd status` reports clvmd running'],
      async verify(ctx) {
        const r = await ctx.node.exec('/etc/init.d/clvmd status');
        if (r.code !== 0 || !/is running/.test(r.stdout))
          throw new VerifyFailed(
            'clvm.clvmd-start',
            ctx.node.plan.name,
            'clvmd running',
            r.stdout.trim() || r.stderr.trim() || `exit ${r.code}`,
          );
        return { summary: r.stdout.trim().split('\n')[0] };
      },
    },
    {
      id: 'clvm.pvcreate',
      title: 'Initialize the DRBD resources as LVM PVs',
      on: 'node1',
      kind: 'once',
      destroys: (p) => devices(p).join(' '),
      commands: (p) => [`pvcreate ${devices(p).map(q).join(' ')}`],
      expect: (p) => [`pvscan on both nodes lists ${devices(p).join(', ')}`],
      expectedOutput: (p) =>
        devices(p)
          .map((d) => `  Writing physical volume data to disk "${d}"\n  Physical volume "${d}" successfully created`)
          .join('\n'),
      async done(ctx) {
        const have = await existingPvs(ctx.node);
        return devices(ctx.plan).every((d) => have.has(d));
      },
      async run(ctx) {
        const have = await existingPvs(ctx.node);
        const todo = devices(ctx.plan).filter((d) => !have.has(d));
        if (todo.length) await ctx.node.sh(`pvcreate ${todo.map(q).join(' ')}`);
      },
      verify: (ctx) => scanBoth(ctx, 'clvm.pvcreate', 'pvscan', parsePvscan, (e) => e.pv, devices(ctx.plan), 'PVs'),
    },
    {
      id: 'clvm.vgcreate',
      title: 'Create the clustered volume groups',
      on: 'node1',
      kind: 'once',
      destroys: (p) => p.resources.map((r) => r.vg).join(' '),
      commands: (p) => p.resources.map((r) => `vgcreate -c y ${q(r.vg)} ${q(r.device)}`),
      expect: (p) => [`vgscan on both nodes finds ${p.resources.map((r) => r.vg).join(', ')}`],
      expectedOutput: (p) =>
        p.resources.map((r) => `  Clustered volume group "${r.vg}" successfully created`).join('\n'),
      async done(ctx) {
        const have = await existingVgs(ctx.node);
        return ctx.plan.resources.every((r) => have.has(r.vg));
      },
      async run(ctx) {
        const have = await existingVgs(ctx.node);
        for (const r of ctx.plan.resources.filter((x) => !have.has(x.vg)))
          await ctx.node.sh(`vgcreate -c y ${q(r.vg)} ${q(r.device)}`);
      },
      verify: (ctx) =>
        scanBoth(
          ctx,
          'clvm.vgcreate',
          'vgscan',
          parseVgscan,
          (e) => e.vg,
          ctx.plan.resources.map((r) => r.vg),
          'VGs',
        ),
    },
    {
      id: 'clvm.lvcreate',
      title: 'Create the LV of the shared GFS2 partition',
      on: 'node1',
      kind: 'once',
      destroys: (p) => p.gfs2.device,
      commands: (p) => [`lvcreate -l 100%FREE -n ${q(p.gfs2.lv)} ${q(p.gfs2.vg)}`],
      expect: (p) => [`lvscan on both nodes: ACTIVE '${p.gfs2.device}'`],
      expectedOutput: (p) => `  Logical volume "${p.gfs2.lv}" created`,
      async done(ctx) {
        return (await existingLvs(ctx.node, ctx.plan.gfs2.vg)).has(ctx.plan.gfs2.lv);
      },
      async run(ctx) {
        const g = ctx.plan.gfs2;
        if ((await existingLvs(ctx.node, g.vg)).has(g.lv)) return;
        if (!(await existingVgs(ctx.node)).has(g.vg))
          throw new AnvilError(
            `${ctx.node.plan.name}: volume group ${g.vg} does not exist`,
            'storage.gfs2.vg must be the vg of one of storage.resources',
          );
        await ctx.node.sh(`lvcreate -l 100%FREE -n ${q(g.lv)} ${q(g.vg)}`);
      },
      async verify(ctx) {
        const g = ctx.plan.gfs2;
        const ev = await scanBoth(
          ctx,
          'clvm.lvcreate',
          'lvscan',
          (s) => parseLvscan(s).filter((e) => e.active),
          (e) => e.path,
          [g.device],
          'LVs',
        );
        return { ...ev, summary: `${g.device} ACTIVE on both nodes` };
      },
    },
  ],
};
