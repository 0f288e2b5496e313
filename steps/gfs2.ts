/**
 * The shared GFS2 partition: formatted once with DLM locking and one journal per node, mounted on
 * both nodes, listed in /etc/fstab by UUID (the gfs2 init script only handles fstab entries), with
 * the four directories of the tutorial; then gfs2, clvmd and drbd are stopped so the cluster can
 * take them over ("Stopping All Clustered Storage Components").
 */
import type { Step, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { chkconfigOff } from './cluster-conf.js';
import { parseDrbdStatus } from '../src/verify/drbd-status.js';
import { parseGfs2Status, parseGfs2Table, parseGfs2Uuid } from '../src/verify/gfs2-status.js';

/** Capture key of the GFS2 file system's UUID. */
export const GFS2_UUID_KEY = 'gfs2.uuid';

/** The fstab options the tutorial uses (no atime updates: each would take an exclusive DLM lock). */
export const FSTAB_OPTIONS = 'defaults,noatime,nodiratime';

/** The mkfs.gfs2 call: DLM locking, one journal per node, lock table `<cluster>:<fs>`. */
export function mkfsCommand(p: Plan): string {
  return `mkfs.gfs2 -p lock_dlm -j ${p.gfs2.journals} -t ${q(p.gfs2.lockTable)} ${q(p.gfs2.device)}`;
}

/** The /etc/fstab line for the file system with this UUID. */
export function fstabLine(p: Plan, uuid: string): string {
  return `UUID=${uuid.toLowerCase()} ${p.gfs2.mount} gfs2 ${FSTAB_OPTIONS} 0 0`;
}

/** The tutorial's one-liner that prints the fstab line from `gfs2_tool sb ... uuid`. */
export function fstabEcho(p: Plan): string {
  const m = p.gfs2.mount.replace(/\//g, '\\/');
  return `echo \`gfs2_tool sb ${q(p.gfs2.device)} uuid | awk '/uuid =/ { print $4; }' | sed -e "s/\\(.*\\)/UUID=\\L\\1\\E ${m}\\t\\tgfs2\\t${FSTAB_OPTIONS}\\t0 0/"\``;
}

/** The active fstab entries mounting `mount` (comment lines ignored). */
export function fstabEntriesFor(fstab: string, mount: string): string[][] {
  return fstab
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[1] === mount || f[1] === `${mount}/`);
}

async function readUuid(ctx: TaskContext): Promise<string | undefined> {
  const r = await ctx.node.exec(`gfs2_tool sb ${q(ctx.plan.gfs2.device)} uuid`);
  return r.code === 0 ? parseGfs2Uuid(r.stdout) : undefined;
}

async function mounted(node: TaskContext['node'], mount: string): Promise<boolean> {
  const r = await node.exec('cat /proc/mounts');
  return r.stdout.split('\n').some((l) => {
    const f = l.split(/\s+/);
    return f[1] === mount && f[2] === 'gfs2';
  });
}

/**
 * Problems with the journal count of the mounted GFS2 (`gfs2_tool journals MP`, gfs2-utils 3.0
 * gfs2/tool/misc.c print_journals(): "N journal(s) found."): one per node that mounts it (`-j`), else
 * the second node's mount fails for want of a journal. 3.0.12 reads the count only through a mount,
 * so the check runs once the file system is mounted.
 */
async function journalProblem(ctx: TaskContext): Promise<string | undefined> {
  const g = ctx.plan.gfs2;
  const r = await ctx.node.exec(`gfs2_tool journals ${q(g.mount)}`);
  const found = /^(\d+) journal\(s\) found\.$/m.exec(r.stdout)?.[1];
  if (found === undefined)
    return `gfs2_tool journals ${g.mount}: ${(r.stdout + r.stderr).trim() || `exit code ${r.code}`}`;
  return Number(found) === g.journals
    ? undefined
    : `${found} journal(s) found, ${g.journals} planned (-j ${g.journals})`;
}

const dirs = (p: Plan) => p.gfs2.dirs.map((d) => `${p.gfs2.mount}/${d}`);

/** Step "The shared GFS2 partition", ending with all clustered storage stopped. */
export const gfs2: Step = {
  id: 'gfs2',
  title: 'The shared GFS2 partition',
  ifSkipped:
    'no shared GFS2 partition: the storage services, the provision scripts and the VM definitions have nowhere to live',
  doc:
    'The GFS2 partition holds the files needed to provision VMs (ISO images), the provision scripts, the XML ' +
    'definitions of the VMs (the cluster looks there when starting and recovering VMs) and an archive of old ' +
    'definitions. mkfs.gfs2 -p lock_dlm uses DLM for locking, -j creates one journal per node that mounts it, and -t ' +
    'names the lock table <clustername>:<fsname>: a node of another cluster may not mount it. The gfs2 daemon only ' +
    'works on partitions listed in /etc/fstab, so both nodes list it by UUID with noatime,nodiratime (every atime ' +
    'update would take an exclusive DLM lock). gfs2 is kept off at boot, and gfs2, clvmd and drbd are stopped at the ' +
    "end so the cluster's resource manager can take them over.",
  warnings: [
    'Unmount the GFS2 partition from all nodes before changing the cluster or file system name (gfs2_tool sb DEV table "new:name").',
  ],
  tasks: [
    {
      id: 'gfs2.mkfs',
      title: 'Format the shared GFS2 partition (node 1)',
      on: 'node1',
      kind: 'once',
      destroys: (p) => p.gfs2.device,
      commands: (p) => [mkfsCommand(p)],
      expect: (p) => [`gfs2_tool sb ${p.gfs2.device} table: "${p.gfs2.lockTable}"`],
      expectedOutput: (p) =>
        [
          `This will destroy any data on ${p.gfs2.device}.`,
          'Are you sure you want to proceed? [y/n] y',
          `Device:                    ${p.gfs2.device}`,
          `Journals:                  ${p.gfs2.journals}`,
          'Locking Protocol:          "lock_dlm"',
          `Lock Table:                "${p.gfs2.lockTable}"`,
        ].join('\n'),
      async done(ctx) {
        return (await readUuid(ctx)) !== undefined;
      },
      async run(ctx) {
        if ((await readUuid(ctx)) !== undefined) return;
        // NOTE: mkfs.gfs2 asks "Are you sure you want to proceed? [y/n]"; the operator's yes is this task's `once` guard.
        await ctx.node.sh(mkfsCommand(ctx.plan), { stdin: 'y\n', timeoutMs: 60 * 60_000 });
      },
      async verify(ctx) {
        const g = ctx.plan.gfs2;
        const r = await ctx.node.exec(`gfs2_tool sb ${q(g.device)} table`);
        const table = r.code === 0 ? parseGfs2Table(r.stdout) : undefined;
        const uuid = await readUuid(ctx);
        if (table !== g.lockTable || !uuid)
          throw new VerifyFailed(
            'gfs2.mkfs',
            ctx.node.plan.name,
            `GFS2 on ${g.device} with lock table "${g.lockTable}"`,
            table ? `lock table "${table}"` : r.stderr.trim() || 'no GFS2 superblock',
          );
        // NOTE: on the first build the journals are read by gfs2.mount's verify (the next task): no mount yet.
        const journals = (await mounted(ctx.node, g.mount)) ? await journalProblem(ctx) : undefined;
        if (journals)
          throw new VerifyFailed('gfs2.mkfs', ctx.node.plan.name, `${g.journals} journals on ${g.device}`, journals);
        ctx.capture(GFS2_UUID_KEY, uuid);
        return { summary: `GFS2 ${uuid}, lock table ${table}`, details: { uuid, table } };
      },
    },
    {
      id: 'gfs2.mount',
      title: 'Mount the GFS2 partition',
      on: 'both',
      kind: 'safe',
      commands: (p) => [
        `mkdir -p ${q(p.gfs2.mount)}`,
        `mount ${q(p.gfs2.device)} ${q(p.gfs2.mount + '/')}`,
        `df -hP ${q(p.gfs2.mount)}`,
      ],
      expect: (p) => [
        `${p.gfs2.mount} is mounted, type gfs2`,
        `gfs2_tool journals ${p.gfs2.mount}: "${p.gfs2.journals} journal(s) found."`,
      ],
      async run(ctx) {
        const g = ctx.plan.gfs2;
        await ctx.node.sh(`mkdir -p ${q(g.mount)}`);
        if (!(await mounted(ctx.node, g.mount))) await ctx.node.sh(`mount ${q(g.device)} ${q(g.mount + '/')}`);
      },
      async verify(ctx) {
        if (!(await mounted(ctx.node, ctx.plan.gfs2.mount)))
          throw new VerifyFailed(
            'gfs2.mount',
            ctx.node.plan.name,
            `${ctx.plan.gfs2.mount} mounted (gfs2)`,
            'not in /proc/mounts',
          );
        const journals = await journalProblem(ctx);
        if (journals)
          throw new VerifyFailed(
            'gfs2.mount',
            ctx.node.plan.name,
            `${ctx.plan.gfs2.journals} journals on ${ctx.plan.gfs2.device} (mkfs.gfs2 -j ${ctx.plan.gfs2.journals})`,
            journals,
          );
        return { summary: `${ctx.plan.gfs2.mount} mounted; ${ctx.plan.gfs2.journals} journals` };
      },
    },
    {
      id: 'gfs2.fstab',
      title: 'List the GFS2 partition in /etc/fstab by UUID',
      on: 'both',
      kind: 'safe',
      commands: (p) => [fstabEcho(p), `${fstabEcho(p)} >> /etc/fstab`, '/etc/init.d/gfs2 status'],
      expect: (p) => [
        `/etc/fstab: UUID=<uuid> ${p.gfs2.mount} gfs2 ${FSTAB_OPTIONS} 0 0`,
        `/etc/init.d/gfs2 status lists ${p.gfs2.mount} as configured and active`,
      ],
      expectedOutput: (p) =>
        `Configured GFS2 mountpoints: \n${p.gfs2.mount}\nActive GFS2 mountpoints: \n${p.gfs2.mount}`,
      async run(ctx) {
        const p = ctx.plan;
        const uuid = await readUuid(ctx);
        if (!uuid)
          throw new AnvilError(
            `${ctx.node.plan.name}: cannot read the UUID of ${p.gfs2.device}`,
            `check \`gfs2_tool sb ${p.gfs2.device} uuid\``,
          );
        const fstab = (await ctx.node.readFile('/etc/fstab')) ?? '';
        const entries = fstabEntriesFor(fstab, p.gfs2.mount);
        if (entries.some((f) => f[0].toLowerCase() === `uuid=${uuid}` && f[2] === 'gfs2')) return;
        if (entries.length)
          throw new AnvilError(
            `${ctx.node.plan.name}: /etc/fstab already mounts ${p.gfs2.mount}: ${entries.map((f) => f.join(' ')).join('; ')}`,
            `replace that line with: ${fstabLine(p, uuid)}`,
          );
        const text = fstab === '' || fstab.endsWith('\n') ? fstab : `${fstab}\n`;
        await ctx.node.writeFile('/etc/fstab', `${text}${fstabLine(p, uuid)}\n`, { mode: 0o644, backup: 'orig' });
      },
      async verify(ctx) {
        const p = ctx.plan;
        const node = ctx.node.plan.name;
        const uuid = await readUuid(ctx);
        const entries = fstabEntriesFor((await ctx.node.readFile('/etc/fstab')) ?? '', p.gfs2.mount);
        const good = entries.find(
          (f) => !!uuid && f[0].toLowerCase() === `uuid=${uuid}` && f[2] === 'gfs2' && f[3] === FSTAB_OPTIONS,
        );
        if (!good)
          throw new VerifyFailed(
            'gfs2.fstab',
            node,
            uuid ? fstabLine(p, uuid) : `an fstab line for ${p.gfs2.mount}`,
            entries.map((f) => f.join(' ')).join('; ') || 'no fstab line',
          );
        const st = parseGfs2Status((await ctx.node.exec('/etc/init.d/gfs2 status')).stdout);
        if (!st.configured.includes(p.gfs2.mount) || !st.active.includes(p.gfs2.mount))
          throw new VerifyFailed(
            'gfs2.fstab',
            node,
            `gfs2 status: ${p.gfs2.mount} configured and active`,
            `configured: ${st.configured.join(' ') || 'none'}; active: ${st.active.join(' ') || 'none'}`,
          );
        return { summary: `${good.join(' ')}; gfs2 status: configured and active` };
      },
    },
    {
      id: 'gfs2.dirs',
      title: 'Create the directories of the shared partition (node 1)',
      on: 'node1',
      kind: 'safe',
      commands: (p) => [`mkdir -p ${dirs(p).map(q).join(' ')}`, `ls -lah ${q(p.gfs2.mount + '/')}`],
      expect: (p) => [`on both nodes: ${dirs(p).join(', ')}`],
      async verify(ctx) {
        const want = dirs(ctx.plan);
        for (const node of [ctx.node, ctx.peer]) {
          const r = await node.exec(want.map((d) => `test -d ${q(d)} || echo ${q(d)}`).join('; '));
          const missing = r.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean);
          if (missing.length)
            throw new VerifyFailed('gfs2.dirs', node.plan.name, want.join(', '), `missing ${missing.join(', ')}`);
        }
        return { summary: `${want.length} directories on both nodes`, details: { dirs: want.join(' ') } };
      },
    },
    {
      id: 'gfs2.chkconfig',
      title: 'Keep gfs2 off at boot (the cluster will manage it)',
      on: 'both',
      kind: 'safe',
      commands: () => ['chkconfig gfs2 off', 'chkconfig --list gfs2'],
      expect: () => ['`chkconfig --list gfs2` shows every runlevel off'],
      expectedOutput: () => 'gfs2           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off',
      verify: (ctx) => chkconfigOff(ctx, 'gfs2.chkconfig', 'gfs2'),
    },
    {
      id: 'gfs2.stop-storage',
      firstBuildOnly: 'the storage is stopped once so that rgmanager can take it over',
      title: 'Stop all clustered storage components',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/gfs2 stop && /etc/init.d/clvmd stop && /etc/init.d/drbd stop'],
      expect: (p) => [`${p.gfs2.mount} unmounted, clvmd stopped, drbd not loaded`],
      expectedOutput: (p) =>
        [
          `Unmounting GFS2 filesystem (${p.gfs2.mount}):                      [  OK  ]`,
          'Deactivating clustered VG(s):',
          ...[...p.resources].reverse().map((r) => `  0 logical volume(s) in volume group "${r.vg}" now active`),
          '                                                           [  OK  ]',
          'Signaling clvmd to exit                                    [  OK  ]',
          'clvmd terminated                                           [  OK  ]',
          'Stopping all DRBD resources: .',
        ].join('\n'),
      async verify(ctx) {
        const node = ctx.node.plan.name;
        if (await mounted(ctx.node, ctx.plan.gfs2.mount))
          throw new VerifyFailed('gfs2.stop-storage', node, `${ctx.plan.gfs2.mount} unmounted`, 'still mounted');
        const clvmd = await ctx.node.exec('/etc/init.d/clvmd status');
        if (clvmd.code === 0 && /is running/.test(clvmd.stdout))
          throw new VerifyFailed('gfs2.stop-storage', node, 'clvmd stopped', clvmd.stdout.trim());
        const st = parseDrbdStatus((await ctx.node.exec('/etc/init.d/drbd status')).stdout);
        if (st.loaded)
          throw new VerifyFailed(
            'gfs2.stop-storage',
            node,
            'drbd stopped',
            st.rows.map((r) => `${r.resource} ${r.cs}`).join(', ') || 'module loaded',
          );
        return { summary: 'gfs2 unmounted, clvmd stopped, drbd not loaded' };
      },
    },
  ],
};
