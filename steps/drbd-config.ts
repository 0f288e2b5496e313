/**
 * Configuring DRBD: global_common.conf (fence-peer handler, dual-primary start, fencing,
 * split-brain policies) and one .res file per resource, identical on both nodes; then the first
 * start: metadata, attach, connect, and the one-time "new current UUID" that declares the brand new
 * resources in sync. DRBD is then stopped and kept off at boot: the cluster will manage it.
 */
import type { FileSpec, Step, TaskContext } from '../src/engine/types.js';
import type { Plan, PlanNode, PlanResource } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { renderFile } from '../src/engine/render.js';
import { parseProcDrbd, describeMinor, type DrbdMinor, type ProcDrbd } from '../src/verify/proc-drbd.js';
import { parseDrbdStatus } from '../src/verify/drbd-status.js';
import { chkconfigOff } from './cluster-conf.js';
import { poll } from '../src/verify/poll.js';

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** A timeout in words for the file's comments: 300 -> "five minutes", 90 -> "90 seconds". */
export function durationWords(seconds: number): string {
  if (seconds > 0 && seconds % 60 === 0) {
    const m = seconds / 60;
    return `${m <= 10 ? WORDS[m] : m} minute${m === 1 ? '' : 's'}`;
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** The comment line at the top of a resource file, in the tutorial's words. */
export function resourceComment(p: Plan, r: PlanResource): string {
  if (r.vg === p.gfs2.vg) return 'This is the resource used for the shared GFS2 partition.';
  if (r.primary) return `This is the resource used for VMs that will normally run on ${r.primary}.`;
  return `This is the DRBD resource ${r.name}.`;
}

/** The files of this step (same on both nodes). */
export function drbdFiles(p: Plan): FileSpec[] {
  const d = p.storage.drbd;
  return [
    {
      path: '/etc/drbd.d/global_common.conf',
      template: 'drbd/global_common.conf.ejs',
      locals: { wfcWords: durationWords(d.wfcTimeout), degrWords: durationWords(d.degrWfcTimeout) },
      backup: 'orig',
    },
    ...p.resources.map((r): FileSpec => ({
      path: `/etc/drbd.d/${r.name}.res`,
      template: 'drbd/resource.res.ejs',
      locals: { r, comment: resourceComment(p, r) },
      backup: 'orig',
    })),
  ];
}

const HANDLERS: [string, string][] = [
  [
    'pri-on-incon-degr',
    '"/usr/lib/drbd/notify-pri-on-incon-degr.sh; /usr/lib/drbd/notify-emergency-reboot.sh; echo b > /proc/sysrq-trigger ; reboot -f"',
  ],
  [
    'pri-lost-after-sb',
    '"/usr/lib/drbd/notify-pri-lost-after-sb.sh; /usr/lib/drbd/notify-emergency-reboot.sh; echo b > /proc/sysrq-trigger ; reboot -f"',
  ],
  [
    'local-io-error',
    '"/usr/lib/drbd/notify-io-error.sh; /usr/lib/drbd/notify-emergency-shutdown.sh; echo o > /proc/sysrq-trigger ; halt -f"',
  ],
];

/** What `drbdadm dump` prints on node `n` for this plan, in DRBD 8.3's layout (the tutorial's listing). */
export function expectedDump(p: Plan, n: PlanNode): string {
  const kv = (indent: number, k: string, v?: string) =>
    `${' '.repeat(indent)}${v === undefined ? `${k};` : `${k.padEnd(16)} ${v};`}`;
  const d = p.storage.drbd;
  const lines = [
    '# /etc/drbd.conf',
    'common {',
    `    ${'protocol'.padEnd(22)} C;`,
    '    net {',
    kv(8, 'allow-two-primaries'),
    kv(8, 'after-sb-0pri', 'discard-zero-changes'),
    kv(8, 'after-sb-1pri', 'discard-secondary'),
    kv(8, 'after-sb-2pri', 'disconnect'),
    '    }',
    '    disk {',
    kv(8, 'fencing', 'resource-and-stonith'),
    '    }',
    '    startup {',
    kv(8, 'wfc-timeout', String(d.wfcTimeout)),
    kv(8, 'degr-wfc-timeout', String(d.degrWfcTimeout)),
    kv(8, 'become-primary-on', 'both'),
    '    }',
    '    handlers {',
    ...HANDLERS.map(([k, v]) => kv(8, k, v)),
    kv(8, 'fence-peer', d.fencePeer),
    '    }',
    '}',
    '',
  ];
  // NOTE: drbd.conf includes "drbd.d/*.res": the glob, hence the dump, is in file-name order.
  for (const r of [...p.resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    lines.push(`# resource ${r.name} on ${n.fqdn}: not ignored, not stacked`, `resource ${r.name} {`);
    for (const m of p.nodes)
      lines.push(
        `    on ${m.fqdn} {`,
        kv(8, 'device', `${r.device} minor ${r.minor}`),
        kv(8, 'disk', r.partition),
        kv(8, 'address', `ipv4 ${m.sn}:${r.port}`),
        kv(8, 'meta-disk', 'internal'),
        '    }',
      );
    lines.push('}', '');
  }
  return lines.join('\n');
}

const names = (p: Plan) => p.resources.map((r) => q(r.name)).join(' ');

/** /proc/drbd as it is now (an empty table when the module is not loaded). */
export async function readProcDrbd(node: TaskContext['node']): Promise<ProcDrbd> {
  const r = await node.exec('cat /proc/drbd');
  return r.code === 0 ? parseProcDrbd(r.stdout) : { minors: [] };
}

const minorMap = (s: ProcDrbd) => new Map(s.minors.map((m) => [m.minor, m]));
const attached = (m: DrbdMinor | undefined) => !!m && m.cs !== 'Unconfigured' && !!m.ds[0] && m.ds[0] !== 'Diskless';
const connected = (m: DrbdMinor | undefined) => !!m && m.cs === 'Connected';
const upToDate = (m: DrbdMinor | undefined) => connected(m) && m!.ds[0] === 'UpToDate' && m!.ds[1] === 'UpToDate';

/** Which resources already carry DRBD metadata: attached ones do; others answer `drbdadm dump-md`. */
async function withMetadata(ctx: TaskContext): Promise<Set<string>> {
  const byMinor = minorMap(await readProcDrbd(ctx.node));
  const out = new Set<string>();
  for (const r of ctx.plan.resources) {
    if (attached(byMinor.get(r.minor))) out.add(r.name);
    // NOTE: dump-md refuses an attached device and prints the whole bitmap otherwise: exit code only.
    else if ((await ctx.node.exec(`drbdadm dump-md ${q(r.name)} >/dev/null 2>&1`)).code === 0) out.add(r.name);
  }
  return out;
}

/** Check every resource's minor in /proc/drbd (re-reading a while); throws VerifyFailed with what was seen. */
async function expectMinors(
  ctx: TaskContext,
  node: TaskContext['node'],
  task: string,
  what: string,
  ok: (m: DrbdMinor | undefined) => boolean,
) {
  const p = ctx.plan;
  const state = await poll(
    () => readProcDrbd(node),
    (s) => p.resources.every((r) => ok(minorMap(s).get(r.minor))),
  );
  const byMinor = minorMap(state);
  const bad = p.resources.filter((r) => !ok(byMinor.get(r.minor)));
  if (bad.length)
    throw new VerifyFailed(
      task,
      node.plan.name,
      what,
      bad.map((r) => `${r.name} ${describeMinor(byMinor.get(r.minor), r.minor)}`).join('; '),
    );
  return {
    summary: p.resources.map((r) => describeMinor(byMinor.get(r.minor), r.minor)).join('; '),
    details: Object.fromEntries(p.resources.map((r) => [r.name, describeMinor(byMinor.get(r.minor), r.minor)])),
  };
}

/** /proc/drbd lines as the tutorial shows them for a state. */
function procLines(p: Plan, state: string): string {
  return [
    'version: 8.3.12 (api:88/proto:86-96)',
    'GIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03',
    ...p.resources.map((r) => ` ${r.minor}: ${state}`),
  ].join('\n');
}

/** The DRBD files verify: `drbdadm dump` parses them and shows the planned options and resources. */
async function verifyDrbdFiles(ctx: TaskContext) {
  const p = ctx.plan;
  const node = ctx.node.plan.name;
  const r = await ctx.node.exec('drbdadm dump');
  if (r.code !== 0)
    throw new VerifyFailed(
      'drbd-config.files',
      node,
      '`drbdadm dump` without errors',
      r.stderr.trim() || `exit ${r.code}`,
    );
  const dump = r.stdout.replace(/[ \t]+/g, ' ');
  const want = [
    'allow-two-primaries;',
    'fencing resource-and-stonith;',
    'become-primary-on both;',
    `wfc-timeout ${p.storage.drbd.wfcTimeout};`,
    `degr-wfc-timeout ${p.storage.drbd.degrWfcTimeout};`,
    `fence-peer ${p.storage.drbd.fencePeer};`,
    ...p.resources.flatMap((res) => [
      // NOTE: drbdadm 8.3 (drbdadm_main.c, dump) says whether this node's `uname -n` matches one of the
      // resource's `on` sections (tutorial 2496): "ignored" means the node would never attach it.
      `# resource ${res.name} on ${ctx.node.plan.fqdn}: not ignored, not stacked`,
      `resource ${res.name} {`,
      ...p.nodes.map((m) => `address ipv4 ${m.sn}:${res.port};`),
      `device ${res.device} minor ${res.minor};`,
      `disk ${res.partition};`,
    ]),
  ];
  const missing = want.filter((w) => !dump.includes(w));
  if (missing.length)
    throw new VerifyFailed('drbd-config.files', node, want.join(' '), `dump lacks: ${missing.join(' | ')}`);
  return {
    summary: `drbdadm dump: ${p.resources.map((x) => x.name).join(', ')} parsed`,
    details: { resources: p.resources.length },
  };
}

/**
 * A changed answer re-applied to a node whose DRBD may be running (the tutorial's resources are
 * Primary under the guests): the files written in place, then `drbdadm adjust` for each resource that
 * is up, which makes the running resource match its file (DRBD 8.3 user guide, "Changing the
 * configuration"). A resource that is down is left down: adjust would bring it up.
 */
async function reapplyDrbdFiles(ctx: TaskContext): Promise<void> {
  const p = ctx.plan;
  for (const f of drbdFiles(p)) {
    const content = renderFile(f, p, ctx.node.plan);
    if ((await ctx.node.readFile(f.path)) !== content)
      await ctx.node.writeFile(f.path, content, { mode: f.mode, backup: f.backup });
  }
  await ctx.node.sh('drbdadm dump');
  const proc = await ctx.node.exec('cat /proc/drbd');
  const up = proc.code === 0 ? parseProcDrbd(proc.stdout).minors.filter((m) => m.cs !== 'Unconfigured') : [];
  for (const r of p.resources)
    if (up.some((m) => m.minor === r.minor)) await ctx.node.sh(`drbdadm adjust ${q(r.name)}`, { timeoutMs: 120_000 });
    else ctx.log(`${ctx.node.plan.name}: ${r.name} is down; it takes the new settings when it starts`);
}

/** Step "Configuring DRBD": files on both nodes, first start, one-time sync, stop and off at boot. */
export const drbdConfig: Step = {
  id: 'drbd-config',
  title: 'Configuring DRBD',
  ifSkipped: 'no replicated storage: clvm (pvcreate on /dev/drbdN), GFS2 and the VMs fail',
  doc:
    'DRBD is configured in two parts: global and common options in /etc/drbd.d/global_common.conf, and one file per ' +
    'resource. The common options add the fence-peer handler, promote both nodes to Primary on start (live migration ' +
    'needs both writable), wait for the peer on start, fence with resource-and-stonith, and set the split-brain ' +
    "policies ('disconnect' when both were primary: only a human can choose). The same files go to both nodes (the " +
    'tutorial rsyncs /etc/drbd.d to the peer). Then, on both nodes: create the metadata, load the module, attach and ' +
    'connect; on one node only, declare the brand new resources in sync with a new current UUID and a cleared bitmap. ' +
    'Finally stop DRBD and keep it off at boot: the cluster will manage it.',
  tasks: [
    {
      id: 'drbd-config.files',
      title: 'Write global_common.conf and the resource files',
      on: 'both',
      kind: 'safe',
      files: (p) => drbdFiles(p),
      commands: () => ['drbdadm dump'],
      expect: (p) => [
        '`drbdadm dump` parses the configuration without errors',
        ...p.resources.map(
          (r) =>
            `resource ${r.name}: ${r.device} on ${r.partition}, ${p.nodes.map((m) => `${m.sn}:${r.port}`).join(' / ')}`,
        ),
      ],
      expectedOutput: (p, n) => expectedDump(p, n),
      verify: verifyDrbdFiles,
      live: {
        summary: () =>
          'writes the changed DRBD files on the node and applies them to every resource that is up with `drbdadm adjust` (it keeps running, as Primary; a resource that is down takes them when it starts)',
        commands: (p) => [
          'drbdadm dump',
          ...p.resources.map((r) => `drbdadm adjust ${r.name}   # where ${r.name} is up`),
        ],
        run: reapplyDrbdFiles,
        verify: verifyDrbdFiles,
      },
    },
    {
      id: 'drbd-config.create-md',
      title: 'Create the DRBD metadata',
      on: 'both',
      kind: 'once',
      destroys: (p) => p.resources.map((r) => r.partition).join(' '),
      commands: (p) => [`drbdadm create-md ${names(p)}`],
      expect: (p) => [`each of ${p.resources.map((r) => r.partition).join(', ')} carries DRBD metadata`],
      expectedOutput: (p) =>
        p.resources
          .map(
            () =>
              'Writing meta data...\ninitializing activity log\nNOT initialized bitmap\nNew drbd meta data block successfully created.\nsuccess',
          )
          .join('\n'),
      async done(ctx) {
        const have = await withMetadata(ctx);
        return ctx.plan.resources.every((r) => have.has(r.name));
      },
      async run(ctx) {
        const have = await withMetadata(ctx);
        const todo = ctx.plan.resources.filter((r) => !have.has(r.name));
        // NOTE: no stdin: if DRBD finds old metadata or a file system it asks for "yes"; we never answer for the operator.
        if (!todo.length) return;
        const r = await ctx.node.exec(`drbdadm create-md ${todo.map((x) => q(x.name)).join(' ')}`, { stdin: '' });
        if (r.code !== 0) {
          const seen = `${r.stdout}\n${r.stderr}`;
          // NOTE: DRBD found a file system or old metadata and wants "yes": the tutorial's remedy is to
          // zero the start of the partition; that destroys whatever is there, so only the operator decides.
          const old = /yes|Found .* (file ?system|meta ?data)|existing|v0[78] Magic/i.test(seen);
          throw new AnvilError(
            `${ctx.node.plan.name}: drbdadm create-md failed${old ? ': it found existing data on the backing partition and asks to overwrite it' : ''}: ${seen.trim().split('\n').slice(-3).join(' / ')}`,
            old
              ? `if nothing on ${todo.map((x) => x.partition).join(', ')} must be kept, wipe its start (e.g. \`dd if=/dev/zero of=${todo[0].partition} bs=4M count=10\`) on ${ctx.node.plan.name}, then resume; the tool never answers "yes" for you`
              : 'check the resource files (drbdadm dump) and the backing partitions, then resume',
          );
        }
      },
      async verify(ctx) {
        const have = await withMetadata(ctx);
        const missing = ctx.plan.resources.filter((r) => !have.has(r.name));
        if (missing.length)
          throw new VerifyFailed(
            'drbd-config.create-md',
            ctx.node.plan.name,
            'DRBD metadata on every backing device',
            `none on ${missing.map((r) => `${r.name} (${r.partition})`).join(', ')}`,
          );
        return { summary: `metadata present: ${[...have].join(', ')}` };
      },
    },
    {
      id: 'drbd-config.attach',
      title: 'Load DRBD and attach the backing devices',
      on: 'both',
      kind: 'safe',
      commands: (p) => ['modprobe drbd', `drbdadm attach ${names(p)}`],
      expect: () => [
        '/proc/drbd lists every resource with its local disk attached (cs:StandAlone ds:Inconsistent/DUnknown the first time)',
      ],
      expectedOutput: (p) => procLines(p, 'cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r----s'),
      async run(ctx) {
        await ctx.node.sh('modprobe drbd');
        const byMinor = minorMap(await readProcDrbd(ctx.node));
        const todo = ctx.plan.resources.filter((r) => !attached(byMinor.get(r.minor)));
        if (todo.length) await ctx.node.sh(`drbdadm attach ${todo.map((r) => q(r.name)).join(' ')}`);
      },
      verify: (ctx) =>
        expectMinors(ctx, ctx.node, 'drbd-config.attach', 'every resource attached to its backing device', attached),
    },
    {
      id: 'drbd-config.connect',
      title: 'Connect the resources to the peer',
      on: 'both',
      kind: 'safe',
      commands: (p) => [`drbdadm connect ${names(p)}`],
      expect: () => ['/proc/drbd shows cs:Connected for every resource (cs:WFConnection until the peer connects)'],
      expectedOutput: (p) => procLines(p, 'cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r-----'),
      async run(ctx) {
        const byMinor = minorMap(await readProcDrbd(ctx.node));
        const todo = ctx.plan.resources.filter((r) => byMinor.get(r.minor)?.cs === 'StandAlone');
        if (todo.length) await ctx.node.sh(`drbdadm connect ${todo.map((r) => q(r.name)).join(' ')}`);
      },
      verify: (ctx) => expectMinors(ctx, ctx.node, 'drbd-config.connect', 'cs:Connected for every resource', connected),
    },
    {
      id: 'drbd-config.new-current-uuid',
      title: 'Declare the new resources in sync (one node only)',
      on: 'node1',
      kind: 'once',
      // NOTE: declares both sides identical without a sync: whatever the peer's backing disks held is now "in sync".
      destroys: (p) => p.resources.map((r) => r.name).join(' '),
      commands: (p) => [`drbdadm -- --clear-bitmap new-current-uuid ${names(p)}`],
      expect: () => ['/proc/drbd on both nodes shows cs:Connected ds:UpToDate/UpToDate for every resource'],
      expectedOutput: (p) => procLines(p, 'cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----'),
      async done(ctx) {
        const byMinor = minorMap(await readProcDrbd(ctx.node));
        return ctx.plan.resources.every((r) => upToDate(byMinor.get(r.minor)));
      },
      async run(ctx) {
        const byMinor = minorMap(await readProcDrbd(ctx.node));
        const notReady = ctx.plan.resources.filter((r) => !connected(byMinor.get(r.minor)));
        if (notReady.length)
          throw new AnvilError(
            `${ctx.node.plan.name}: ${notReady.map((r) => describeMinor(byMinor.get(r.minor), r.minor)).join('; ')}`,
            'a new current UUID is only issued on connected resources: re-run the attach and connect tasks on both nodes',
          );
        const todo = ctx.plan.resources.filter((r) => !upToDate(byMinor.get(r.minor)));
        if (todo.length)
          await ctx.node.sh(`drbdadm -- --clear-bitmap new-current-uuid ${todo.map((r) => q(r.name)).join(' ')}`);
      },
      async verify(ctx) {
        const mine = await expectMinors(
          ctx,
          ctx.node,
          'drbd-config.new-current-uuid',
          'cs:Connected ds:UpToDate/UpToDate',
          upToDate,
        );
        await expectMinors(
          ctx,
          ctx.peer,
          'drbd-config.new-current-uuid',
          'cs:Connected ds:UpToDate/UpToDate',
          upToDate,
        );
        return { ...mine, summary: `${mine.summary} (peer too)` };
      },
    },
    {
      id: 'drbd-config.stop',
      firstBuildOnly: 'DRBD is stopped once so that the cluster can take it over',
      title: 'Stop DRBD and keep it off at boot (the cluster will manage it)',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/drbd stop', 'chkconfig drbd off', 'chkconfig --list drbd'],
      expect: () => [
        '`chkconfig --list drbd` shows every runlevel off',
        '`/etc/init.d/drbd status` says drbd not loaded',
      ],
      expectedOutput: () =>
        'Stopping all DRBD resources: .\ndrbd           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off',
      async verify(ctx) {
        const node = ctx.node.plan.name;
        await chkconfigOff(ctx, 'drbd-config.stop', 'drbd');
        const st = parseDrbdStatus((await ctx.node.exec('/etc/init.d/drbd status')).stdout);
        if (st.loaded)
          throw new VerifyFailed(
            'drbd-config.stop',
            node,
            'drbd stopped (module not loaded)',
            `loaded: ${st.rows.map((r) => `${r.resource} ${r.cs}`).join(', ') || 'module loaded'}`,
          );
        return { summary: 'drbd stopped, off at boot' };
      },
    },
  ],
};
