/**
 * Provisioning the virtual machines: for each VM, an LV on the VG of its host node's DRBD
 * resource, a virt-install script under <shared>/provision (kept for reference), the install run
 * on the host node, the operator finishing the OS install (and ejecting install media), then the
 * XML definition saved under <shared>/definitions and defined on the other node too.
 */
import type { DriveContext, Evidence, FileSpec, NodeHandle, Step, TaskContext } from '../src/engine/types.js';
import { clock } from '../src/util/clock.js';
import { handleOf, until } from './cluster-ops.js';
import type { Plan, PlanNode, PlanVm } from '../src/plan/derive.js';
import { AnvilError, TestNotRun, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { parseVirshList } from '../src/verify/virsh-list.js';
import { poll } from '../src/verify/poll.js';

/** The VMs whose primary host is `n`. */
export function vmsOn(p: Plan, n: PlanNode): PlanVm[] {
  return p.vms.filter((v) => v.host.name === n.name);
}

/** Double-quote a value for the shell, as the tutorial writes `--extra-args "ks=..."`. */
export function dq(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** `lvcreate -L 150G` for a size, `lvcreate -l 100%FREE` for a share of the free space. */
export function lvcreateCommand(v: PlanVm): string {
  const flag = v.size.includes('%') ? '-l' : '-L';
  return `lvcreate ${flag} ${v.size} -n ${q(v.lv)} ${q(`/dev/${v.vg}`)}`;
}

/** Whether the VM installs from media (cdrom), which needs the operator to eject it afterwards. */
export const usesMedia = (v: PlanVm) => !v.install.location && !!v.install.cdrom;

/** The provision script of a VM, rendered from templates/vm/provision.sh.ejs. */
export function provisionFile(v: PlanVm): FileSpec {
  return { path: v.provisionScript, template: 'vm/provision.sh.ejs', locals: { v, dq }, mode: 0o755, backup: 'none' };
}

const installLog = (v: PlanVm) => `/root/${v.name}.virt-install.log`;

async function defined(node: TaskContext['node'], name: string): Promise<boolean> {
  return (await node.exec(`virsh dominfo ${q(name)} >/dev/null 2>&1`)).code === 0;
}

async function existingLvs(ctx: TaskContext): Promise<Set<string>> {
  const r = await ctx.node.exec('lvs --noheadings -o lv_name,vg_name');
  return new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 2)
      .map((f) => `${f[1]}/${f[0]}`),
  );
}

/** The disks of a domain's XML that still hold install media (a cdrom or floppy with a source). */
export function loadedMedia(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<disk\b[^>]*device=['"](cdrom|floppy)['"][^>]*>([\s\S]*?)<\/disk>/g)) {
    const src = /<source\b[^>]*(?:file|dev)=['"]([^'"]+)['"]/.exec(m[2]);
    if (src) out.push(`${m[1]} ${src[1]}`);
  }
  return out;
}

/** `virsh list --all` as the tutorial shows it at the end of provisioning, on node `n`. */
function expectedList(p: Plan, n: PlanNode): string {
  const rows = [
    ...vmsOn(p, n).map((v) => `  ? ${v.name.padEnd(20)} running`),
    ...p.vms.filter((v) => v.host.name !== n.name).map((v) => `  - ${v.name.padEnd(20)} shut off`),
  ];
  return [' Id Name                 State', '----------------------------------', ...rows].join('\n');
}

/** Step "Provisioning Virtual Machines": LVs, scripts, installs, media gate, definitions on both nodes. */
/**
 * What keeps a VM's definition from being the installed guest's: not running, still booting the
 * installer (`<kernel>`/`<initrd>`, on_reboot destroy), install media still loaded. Saving the XML
 * before the first reboot would make the cluster boot the installer (review, step 18).
 */
export async function installProblems(ctx: TaskContext): Promise<string[]> {
  const out: string[] = [];
  for (const v of ctx.plan.vms) {
    const node = await guestNode(ctx, v);
    const r = await node.exec(`virsh dumpxml ${q(v.name)}`);
    if (r.code !== 0) {
      out.push(`${v.name}: not defined on ${node.plan.name} (${r.stderr.trim() || `exit ${r.code}`})`);
      continue;
    }
    const xml = r.stdout;
    if (!/<domain\b[^>]*\bid=['"]\d+['"]/.test(xml)) out.push(`${v.name}: not running on ${node.plan.name}`);
    if (/<os>[\s\S]*?<(kernel|initrd)>[\s\S]*?<\/os>/.test(xml))
      out.push(
        `${v.name}: still boots the installer (<kernel>/<initrd> in its XML): let the install finish and the guest reboot`,
      );
    const onReboot = /<on_reboot>([^<]+)<\/on_reboot>/.exec(xml)?.[1];
    if (onReboot && onReboot !== 'restart')
      out.push(`${v.name}: on_reboot is ${onReboot} (the installer's), not restart`);
    out.push(...loadedMedia(xml).map((m) => `${v.name}: ${m}`));
  }
  return out;
}

/**
 * The node a guest runs on: its host, or the peer when it runs there only (once the VMs are cluster
 * services, a test or a recovery may have moved it); its host when it runs nowhere.
 */
async function guestNode(ctx: TaskContext, v: PlanVm): Promise<NodeHandle> {
  const host = handleOf(ctx, v.host);
  const peer = handleOf(ctx, ctx.plan.peerOf(v.host));
  const runs = async (h: NodeHandle) => {
    const r = await h.exec('virsh list --all');
    return r.code === 0 && parseVirshList(r.stdout).some((d) => d.name === v.name && d.state === 'running');
  };
  return !(await runs(host)) && (await runs(peer)) ? peer : host;
}

/** Target devices (`hdc`, `fda`) of the cdrom/floppy disks that still have a medium loaded. */
export function loadedTargets(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<disk\b[^>]*device=['"](cdrom|floppy)['"][^>]*>([\s\S]*?)<\/disk>/g)) {
    if (!/<source\b[^>]*(?:file|dev)=/.test(m[2])) continue;
    const dev = /<target\b[^>]*dev=['"]([^'"]+)['"]/.exec(m[2])?.[1];
    if (dev) out.push(dev);
  }
  return out;
}

/**
 * The end of the installs, run by the tool: wait until every guest has finished its installer and
 * runs from its disk (a Windows install needs the operator at the console on real hardware, so the
 * tool asks first), then eject the install media with `virsh change-media` (libvirt 0.10 can; the
 * tutorial's "no CLI way" was libvirt 0.8), and check. A kickstart guest is left shut off when its
 * installer reboots (the install XML has on_reboot=destroy and virt-install 0.600 exited when the
 * install began: "Domain installation still in progress", tutorial 3357-3358); the tutorial's next
 * capture shows it running with a new id (3367-3369; "you may need to reboot manually", 3362), so
 * the tool starts it with `virsh start` once it has stayed off for a poll interval.
 */
export async function driveFinishInstall(ctx: DriveContext): Promise<Evidence> {
  const p = ctx.plan;
  const media = p.vms.filter(usesMedia);
  if (media.length && !ctx.lab) {
    const ok = await ctx.prompt.confirm(
      `Finish the OS install of ${media.map((v) => v.name).join(', ')} in virt-manager (load the virtio driver from the floppy) and let ${media.length > 1 ? 'them' : 'it'} reboot into the installed system.`,
      false,
    );
    if (!ok) throw new TestNotRun('the media installs were not finished');
  }
  const details: Record<string, string> = {};
  for (const v of p.vms) {
    let h = handleOf(ctx, v.host);
    const t0 = clock().now();
    let offSince: number | undefined;
    let started = false;
    const xml = await until(
      async () => {
        h = await guestNode(ctx, v);
        const r = await h.exec(`virsh dumpxml ${q(v.name)}`);
        if (r.code !== 0) return undefined;
        const running = /<domain\b[^>]*\bid=['"]\d+['"]/.test(r.stdout);
        const installer = /<os>[\s\S]*?<(kernel|initrd)>[\s\S]*?<\/os>/.test(r.stdout);
        if (running) {
          offSince = undefined;
          return installer ? undefined : r.stdout;
        }
        // NOTE: shut off with its installed definition: the installer's reboot met on_reboot=destroy and
        // nothing boots it again (virt-install 0.600 exits right after a kickstart install starts). A
        // waiting virt-install (Windows) boots it within its 2-s poll, so the tool starts it only once it
        // has stayed off for a whole poll interval.
        if (installer) return undefined;
        if (offSince === undefined) {
          offSince = clock().now();
          return undefined;
        }
        if (clock().now() - offSince < FINISH_TIMING.offMs) return undefined;
        const s = await h.exec(`virsh start ${q(v.name)}`);
        if (s.code !== 0)
          throw new VerifyFailed(
            'vm-provision.finish-install',
            h.plan.name,
            `${v.name} started after its install`,
            `virsh start: ${(s.stderr || s.stdout).trim() || `exit ${s.code}`}`,
          );
        started = true;
        offSince = undefined;
        return undefined;
      },
      FINISH_TIMING.installMs,
      10_000,
    );
    if (!xml)
      throw new VerifyFailed(
        'vm-provision.finish-install',
        h.plan.name,
        `${v.name} installed and running from its disk`,
        (await installProblems(ctx)).filter((x) => x.startsWith(`${v.name}:`)).join('; ') || 'not yet',
      );
    for (const dev of loadedTargets(xml))
      await h.sh(`virsh change-media ${q(v.name)} ${q(dev)} --eject --live --config`);
    details[v.name] =
      `installed on ${v.host.name} in ${Math.round((clock().now() - t0) / 60_000)} min${started ? '; shut off after its installer rebooted, started with virsh start' : ''}${loadedTargets(xml).length ? `; ejected ${loadedTargets(xml).join(', ')}` : ''}`;
  }
  const problems = await installProblems(ctx);
  if (problems.length)
    throw new VerifyFailed(
      'vm-provision.finish-install',
      ctx.node.plan.name,
      'every VM installed, running from its disk, install media ejected',
      problems.join('; '),
    );
  return { summary: `${p.vms.length} VMs installed and running from their disks, no media loaded`, details };
}

/** The ISO and floppy images the media installs need (they must be on the shared volume). */
export function mediaFiles(p: Plan): string[] {
  return p.vms.filter(usesMedia).flatMap((v) => [v.install.cdrom, v.install.floppy].filter((x): x is string => !!x));
}

/**
 * How long the tool waits for a guest's installer (install clock), and how long an installed guest
 * must stay shut off before the tool starts it (longer than virt-install's 2-s poll).
 */
export const FINISH_TIMING = { installMs: 4 * 3_600_000, offMs: 10_000 };

/** LVM's size suffixes (powers of 1024, as lvcreate -L reads them) in MiB. */
const UNIT_MIB: Record<string, number> = { m: 1, g: 1024, t: 1024 * 1024 };

/** MiB of an lvcreate -L size (`150G`, `512M`); undefined for `100%FREE` and the like. */
export function sizeMiB(size: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([mgt])?$/i.exec(size.trim());
  return m ? Number(m[1]) * UNIT_MIB[(m[2] ?? 'm').toLowerCase()] : undefined;
}

/** kB values of /proc/meminfo by key. */
function meminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+):\s+(\d+) kB/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * What the tutorial's provision planning checks (3259-3295), for the VMs not created yet: the
 * fixed-size LVs fit their VG's free space and a `100%FREE` one still gets some; every VM's RAM fits
 * ONE node ("we have to plan for when all four VMs will run on just one node"): the sum must fit in
 * what the idle host leaves free; media installs find their ISO/floppy images on the shared volume.
 */
export async function provisionProblems(ctx: TaskContext): Promise<string[]> {
  const p = ctx.plan;
  const out: string[] = [];
  const have = await existingLvs(ctx);
  const vgs = await ctx.node.exec('vgs --noheadings --units m --nosuffix -o vg_name,vg_free');
  if (vgs.code !== 0) return [`vgs failed: ${vgs.stderr.trim() || `exit ${vgs.code}`}`];
  const free = new Map(
    vgs.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((w) => w.length >= 2)
      .map((w) => [w[0], Number(w[1])] as const),
  );
  for (const vg of new Set(p.vms.map((v) => v.vg))) {
    const todo = p.vms.filter((v) => v.vg === vg && !have.has(`${v.vg}/${v.lv}`));
    if (!todo.length) continue;
    const avail = free.get(vg);
    if (avail === undefined) {
      out.push(`VG ${vg} not found (vgs)`);
      continue;
    }
    const fixed = todo.reduce((k, v) => k + (sizeMiB(v.size) ?? 0), 0);
    const rest = todo.filter((v) => sizeMiB(v.size) === undefined);
    if (fixed > avail)
      out.push(
        `VG ${vg}: ${todo
          .filter((v) => sizeMiB(v.size) !== undefined)
          .map((v) => `${v.lv} ${v.size}`)
          .join(' + ')} = ${Math.round(fixed)} MiB, but only ${Math.round(avail)} MiB free`,
      );
    else if (rest.length && avail - fixed < 1024)
      out.push(
        `VG ${vg}: ${rest.map((v) => v.lv).join(', ')} would get ${Math.round(avail - fixed)} MiB (what the fixed sizes leave)`,
      );
    if (rest.length > 1)
      out.push(
        `VG ${vg}: ${rest.map((v) => v.lv).join(' and ')} both ask for the rest of the VG; only the last one created would get any`,
      );
  }
  const ram = p.vms.reduce((k, v) => k + v.ram, 0);
  for (const n of [ctx.node, ctx.peer]) {
    const r = await n.exec('cat /proc/meminfo');
    const mi = meminfo(r.stdout);
    if (r.code !== 0 || mi.MemTotal === undefined) {
      out.push(`${n.plan.name}: cannot read /proc/meminfo`);
      continue;
    }
    const idle = Math.floor(((mi.MemFree ?? 0) + (mi.Buffers ?? 0) + (mi.Cached ?? 0)) / 1024);
    if (ram > idle)
      out.push(
        `${n.plan.name}: all ${p.vms.length} VMs need ${ram} MiB of RAM when they run on this one node, but it has ${idle} MiB free (MemTotal ${Math.floor(mi.MemTotal / 1024)} MiB)`,
      );
  }
  for (const v of p.vms.filter(usesMedia))
    for (const f of [v.install.cdrom, v.install.floppy].filter((x): x is string => !!x))
      if ((await ctx.node.exec(`test -s ${q(f)}`)).code !== 0)
        out.push(`${v.name}: install media ${f} is missing (copy it to the shared volume first)`);
  return out;
}

export const vmProvision: Step = {
  id: 'vm-provision',
  title: 'Provisioning Virtual Machines',
  ifSkipped: 'no VMs: vm-services has nothing to manage and fails; the acceptance tests fail',
  doc:
    'Provisioning a VM means creating it: a collection of emulated hardware connected to physical devices, then ' +
    'installing its operating system. Each VM\'s "hard drive" is an LV on the VG of the DRBD resource of the node it ' +
    'normally runs on; its virt-install call is kept as a small script under the provision directory for future ' +
    'reference. Linux VMs install from the network with a kickstart file; media installs (Windows) boot an ISO and ' +
    'load the virtio storage driver from a virtual floppy. The install is watched and finished from virt-manager on ' +
    'a workstation (File -> Add Connection, QEMU/KVM over SSH as root). Media must be ejected after the install, or ' +
    'a later deleted ISO stops the VM from booting. Finally the XML definition is saved on the shared partition and ' +
    'defined on the other node too.',
  tasks: [
    {
      id: 'vm-provision.media',
      title: 'Copy the install media of the media installs to the shared volume',
      on: 'node1',
      kind: 'gate',
      gate: {
        instruct: (p) =>
          mediaFiles(p).length
            ? `Copy the install media to ${p.gfs2.mount}/files (on either node: the GFS2 volume is shared): ${mediaFiles(p).join(', ')}.`
            : 'No VM installs from media: nothing to copy.',
        checklist: (p) => mediaFiles(p).map((f) => `${f} is on the shared volume (\`ls -lah ${f}\`)`),
        async drive(ctx) {
          const missing: string[] = [];
          for (const f of mediaFiles(ctx.plan))
            if ((await ctx.node.exec(`test -s ${q(f)}`)).code !== 0) missing.push(f);
          for (const f of missing) await ctx.hands.supplyFile(ctx.node.plan.name, f);
          const still = [];
          for (const f of mediaFiles(ctx.plan)) if ((await ctx.node.exec(`test -s ${q(f)}`)).code !== 0) still.push(f);
          if (still.length)
            throw new VerifyFailed('vm-provision.media', ctx.node.plan.name, `${still.join(', ')} present`, 'missing');
          return {
            summary: mediaFiles(ctx.plan).length
              ? `${mediaFiles(ctx.plan).length} install media present${missing.length ? ` (${missing.length} copied now)` : ''}`
              : 'no media installs',
          };
        },
      },
      expect: (p) => mediaFiles(p).map((f) => `${f} present`),
      async verify(ctx) {
        const missing: string[] = [];
        for (const f of mediaFiles(ctx.plan)) if ((await ctx.node.exec(`test -s ${q(f)}`)).code !== 0) missing.push(f);
        if (missing.length)
          throw new VerifyFailed(
            'vm-provision.media',
            ctx.node.plan.name,
            'the install media on the shared volume',
            `missing ${missing.join(', ')}`,
          );
        return { summary: `${mediaFiles(ctx.plan).length} install media present` };
      },
    },
    {
      id: 'vm-provision.precheck',
      title: 'Check the VMs fit: disk per VG, RAM of every VM on one node, install media present',
      on: 'node1',
      kind: 'safe',
      commands: () => ['vgs --noheadings --units m --nosuffix -o vg_name,vg_free', 'cat /proc/meminfo'],
      async run(ctx) {
        const problems = await provisionProblems(ctx);
        if (problems.length)
          throw new AnvilError(
            `the VMs as planned do not fit: ${problems.join('; ')}`,
            'change the VMs in the answers (size, ram) or copy the install media, then resume',
          );
      },
      expect: (p) => [
        `every VM's RAM together (${p.vms.reduce((k, v) => k + v.ram, 0)} MiB) fits one node`,
        'fixed LV sizes fit their VG',
        ...p.vms.filter(usesMedia).map((v) => `${v.install.cdrom} present`),
      ],
      async verify(ctx) {
        const problems = await provisionProblems(ctx);
        if (problems.length)
          throw new VerifyFailed(
            'vm-provision.precheck',
            ctx.node.plan.name,
            'the VMs fit the nodes',
            problems.join('; '),
          );
        return {
          summary: `${ctx.plan.vms.length} VMs fit: ${ctx.plan.vms.reduce((k, v) => k + v.ram, 0)} MiB of RAM on one node, disks within their VGs`,
        };
      },
    },
    {
      id: 'vm-provision.lvcreate',
      title: 'Create the LV of each VM on its host node',
      on: 'both',
      kind: 'once',
      destroys: (p, n) =>
        vmsOn(p, n)
          .map((v) => v.lvPath)
          .join(' ') || 'nothing (no VM on this node)',
      commands: (p, n) => vmsOn(p, n).map(lvcreateCommand),
      expect: (p, n) => vmsOn(p, n).map((v) => `${v.lvPath} exists (${v.size})`),
      expectedOutput: (p, n) =>
        vmsOn(p, n)
          .map((v) => `  Logical volume "${v.lv}" created`)
          .join('\n'),
      async done(ctx) {
        const have = await existingLvs(ctx);
        return vmsOn(ctx.plan, ctx.node.plan).every((v) => have.has(`${v.vg}/${v.lv}`));
      },
      async run(ctx) {
        const have = await existingLvs(ctx);
        // NOTE: in order: a "100%FREE" LV must come after the fixed-size ones of the same VG.
        for (const v of vmsOn(ctx.plan, ctx.node.plan))
          if (!have.has(`${v.vg}/${v.lv}`)) await ctx.node.sh(lvcreateCommand(v));
      },
      async verify(ctx) {
        const have = await existingLvs(ctx);
        const vms = vmsOn(ctx.plan, ctx.node.plan);
        const missing = vms.filter((v) => !have.has(`${v.vg}/${v.lv}`));
        if (missing.length)
          throw new VerifyFailed(
            'vm-provision.lvcreate',
            ctx.node.plan.name,
            vms.map((v) => v.lvPath).join(', '),
            `missing ${missing.map((v) => v.lvPath).join(', ')}`,
          );
        return { summary: vms.length ? vms.map((v) => v.lvPath).join(', ') : 'no VMs on this node' };
      },
    },
    {
      id: 'vm-provision.scripts',
      title: 'Write the virt-install script of each VM',
      on: 'both',
      kind: 'safe',
      files: (p, n) => vmsOn(p, n).map(provisionFile),
      expect: (p, n) => vmsOn(p, n).map((v) => `${v.provisionScript} (mode 0755)`),
      async verify(ctx) {
        const vms = vmsOn(ctx.plan, ctx.node.plan);
        for (const v of vms) {
          const text = await ctx.node.readFile(v.provisionScript);
          const exec = (await ctx.node.exec(`test -x ${q(v.provisionScript)}`)).code === 0;
          if (!text || !exec || !text.includes(`--name ${q(v.name)}`) || !text.includes(`path=${v.lvPath}`))
            throw new VerifyFailed(
              'vm-provision.scripts',
              ctx.node.plan.name,
              `${v.provisionScript}: executable virt-install of ${v.name} on ${v.lvPath}`,
              !text ? 'missing' : !exec ? 'not executable' : 'other content',
            );
        }
        return { summary: vms.length ? vms.map((v) => v.provisionScript).join(', ') : 'no VMs on this node' };
      },
    },
    {
      id: 'vm-provision.install',
      title: 'Start the install of each VM on its host node',
      on: 'both',
      kind: 'once',
      destroys: (p, n) =>
        vmsOn(p, n)
          .map((v) => v.name)
          .join(' ') || 'nothing (no VM on this node)',
      commands: (p, n) => vmsOn(p, n).map((v) => v.provisionScript),
      expect: (p, n) => vmsOn(p, n).map((v) => `virsh dominfo ${v.name} succeeds on ${n.name}`),
      expectedOutput: (p, n) =>
        vmsOn(p, n)
          .map((v) =>
            usesMedia(v)
              ? 'Starting install...\nCreating domain...                                       |    0 B     00:00     \nDomain installation still in progress. Waiting for installation to complete.'
              : 'Starting install...\nRetrieving file .treeinfo...\nRetrieving file vmlinuz...\nRetrieving file initrd.img...\nCreating domain...\nDomain installation still in progress. You can reconnect to \nthe console to complete the installation process.',
          )
          .join('\n'),
      async done(ctx) {
        for (const v of vmsOn(ctx.plan, ctx.node.plan)) if (!(await defined(ctx.node, v.name))) return false;
        return true;
      },
      async run(ctx) {
        for (const v of vmsOn(ctx.plan, ctx.node.plan)) {
          if (await defined(ctx.node, v.name)) continue;
          // NOTE: detached: a media install's virt-install waits for the whole (manual) OS install.
          await ctx.node.sh(`nohup ${q(v.provisionScript)} > ${q(installLog(v))} 2>&1 < /dev/null &`);
          const ok = await poll(
            () => defined(ctx.node, v.name),
            (x) => x,
            { tries: 150 },
          );
          if (!ok) {
            const log = (await ctx.node.exec(`tail -n 20 ${q(installLog(v))}`)).stdout.trim();
            throw new AnvilError(
              `${ctx.node.plan.name}: ${v.name} was not created by ${v.provisionScript}`,
              log ? `virt-install said:\n${log}` : `see ${installLog(v)}`,
            );
          }
          ctx.log(`${ctx.node.plan.name}: ${v.name} created; install output in ${installLog(v)}`);
        }
      },
      async verify(ctx) {
        const vms = vmsOn(ctx.plan, ctx.node.plan);
        const list = parseVirshList((await ctx.node.exec('virsh list --all')).stdout);
        const missing = vms.filter((v) => !list.some((d) => d.name === v.name));
        if (missing.length)
          throw new VerifyFailed(
            'vm-provision.install',
            ctx.node.plan.name,
            `${vms.map((v) => v.name).join(', ')} defined`,
            `missing ${missing.map((v) => v.name).join(', ')}; virsh list --all shows ${list.map((d) => d.name).join(', ') || 'nothing'}`,
          );
        return {
          summary: vms.length
            ? vms.map((v) => `${v.name} ${list.find((d) => d.name === v.name)!.state}`).join(', ')
            : 'no VMs on this node',
        };
      },
    },
    {
      id: 'vm-provision.finish-install',
      title: 'Finish the OS installs in virt-manager and eject the install media',
      on: 'node1',
      kind: 'gate',
      gate: {
        instruct: (p) =>
          [
            'On your workstation, run virt-manager and add both nodes: File -> Add Connection..., Hypervisor QEMU/KVM, ' +
              `Connect to remote host, Method SSH, Username root, Hostname ${p.nodes.map((n) => n.name).join(' / ')} (append .ifn when on the IFN).`,
            'Follow each install to its end; depending on the kickstart file, reboot the VM by hand.',
            ...p.vms
              .filter(usesMedia)
              .map(
                (v) =>
                  `${v.name}: choose the Custom (advanced) install, click Load Driver, OK, pick Red Hat VirtIO SCSI Controller from the ` +
                  'floppy; once installed and rebooted, open View -> Details, select Floppy 1 and click Disconnect, select IDE CDROM 1 and click Disconnect.',
              ),
          ].join('\n'),
        drive: driveFinishInstall,
        checklist: (p) => [
          ...p.vms.map((v) => `${v.name} (on ${v.host.name}): the OS install finished and the VM booted from its disk`),
          ...p.vms
            .filter(usesMedia)
            .map((v) => `${v.name}: the floppy and DVD media are disconnected (Post-Install Housekeeping)`),
        ],
      },
      expect: (p) => [
        'every VM runs from its disk: no installer <kernel>/<initrd> in its XML, on_reboot "restart"',
        ...p.vms.filter(usesMedia).map((v) => `virsh dumpxml ${v.name}: no cdrom or floppy with a source`),
      ],
      async verify(ctx) {
        const problems = await installProblems(ctx);
        if (problems.length)
          throw new VerifyFailed(
            'vm-provision.finish-install',
            ctx.node.plan.name,
            'every VM installed, running from its disk, install media ejected',
            problems.join('; '),
            // NOTE: a guest not running is its VM's state, as the cluster's checks name it (vm:NAME).
            problems.map((text) => {
              const m = /^(\S+): not running on /.exec(text);
              return { key: m ? `vm:${m[1]}` : text, text };
            }),
          );
        return { summary: `${ctx.plan.vms.length} VMs installed and running from their disks, no media loaded` };
      },
    },
    {
      id: 'vm-provision.dumpxml',
      title: 'Save the XML definition of each VM on the shared partition',
      on: 'both',
      kind: 'safe',
      commands: (p, n) => vmsOn(p, n).map((v) => `virsh dumpxml ${q(v.name)} > ${q(v.definition)}`),
      expect: (p, n) => vmsOn(p, n).map((v) => `${v.definition} holds the domain ${v.name}`),
      async verify(ctx) {
        const vms = vmsOn(ctx.plan, ctx.node.plan);
        for (const v of vms) {
          const xml = await ctx.node.readFile(v.definition);
          if (!xml || !xml.includes(`<name>${v.name}</name>`))
            throw new VerifyFailed(
              'vm-provision.dumpxml',
              ctx.node.plan.name,
              `${v.definition} with <name>${v.name}</name>`,
              xml ? 'another domain' : 'missing',
            );
        }
        return { summary: vms.length ? vms.map((v) => v.definition).join(', ') : 'no VMs on this node' };
      },
    },
    {
      id: 'vm-provision.define-peer',
      title: "Define the other node's VMs on this node",
      on: 'both',
      kind: 'safe',
      commands: (p, n) => p.vms.filter((v) => v.host.name !== n.name).map((v) => `virsh define ${q(v.definition)}`),
      expect: (p) => [`virsh list --all on both nodes lists ${p.vms.map((v) => v.name).join(', ')}`],
      expectedOutput: (p, n) =>
        [
          ...p.vms.filter((v) => v.host.name !== n.name).map((v) => `Domain ${v.name} defined from ${v.definition}`),
          expectedList(p, n),
        ].join('\n'),
      async verify(ctx) {
        const list = parseVirshList((await ctx.node.exec('virsh list --all')).stdout);
        const missing = ctx.plan.vms.filter((v) => !list.some((d) => d.name === v.name));
        if (missing.length)
          throw new VerifyFailed(
            'vm-provision.define-peer',
            ctx.node.plan.name,
            `virsh list --all shows ${ctx.plan.vms.map((v) => v.name).join(', ')}`,
            `missing ${missing.map((v) => v.name).join(', ')}`,
          );
        return {
          summary: list.map((d) => `${d.name} ${d.state}`).join(', '),
          details: Object.fromEntries(list.map((d) => [d.name, d.state])),
        };
      },
    },
  ],
};
