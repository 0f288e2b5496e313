/**
 * A small synthetic install (not the real steps) and the fake node pair it runs on: captures
 * (MACs, free space), a file with a secret, an `edit` file, `once` tasks with done probes, a gate.
 */
import { tempDir as tempFolder } from './temp.js';
import type { Step, TaskContext } from '../../src/engine/types.js';
import type { Answers } from '../../src/plan/schema.js';
import { loadAnswers } from '../../src/plan/load.js';
import { VerifyFailed } from '../../src/errors.js';
import { sh } from '../../src/engine/shell.js';
import { FREE_START_KEY, nicsKey } from '../../src/engine/captured.js';
import { StateStore } from '../../src/state/store.js';
import { Runner, type RunnerOptions, type RunResult } from '../../src/engine/runner.js';
import { memoryPair, type MemoryNode, type MemoryTransport } from './memory-transport.js';

/** Secrets the answers get from the environment. */
export const SECRETS = { RICCI_PW: 'R1cci-S3cret!', ILO_PW: 'Il0-Pa55w0rd' };

/** The second fixture cluster (kvm-a, kvm-b); `nics` removed so the capture task provides them. */
export function testAnswers(mutate?: (a: Answers) => void): Answers {
  const a = loadAnswers('test/fixtures/other.anvil.yaml', { ...SECRETS });
  for (const n of a.nodes) delete n.nics;
  mutate?.(a);
  return a;
}

/**
 * Fake-prompter answers that approve every step and type each destructive task's confirmation
 * (the synthetic install's `disk.mkpart` destroys /dev/vdb on each node). demo.conf lists the MACs
 * the step's first task captures, so its diff is known (and asked for) only when it is written.
 */
export const APPROVE: Record<string, string> = {
  'Approve step': 'approve this step',
  'write /etc/demo.conf': 'approve',
  'Type "kvm-a /dev/vdb"': 'kvm-a /dev/vdb',
  'Type "kvm-b /dev/vdb"': 'kvm-b /dev/vdb',
};

/** Template path of a test fixture, relative to `templates/`. */
export const T = (name: string) => `../test/fixtures/engine/${name}`;

/** MACs the fake nodes report (`ip-macs`). */
export function macsOf(node: string): string[] {
  const b = node.endsWith('a') ? 'AA' : 'BB';
  return [0, 1, 2, 3, 4, 5].map((i) => `52:54:00:${b}:0F:0${i}`);
}

const STOCK_LVM = '# stock lvm.conf\nglobal {\n    locking_type = 1\n    fallback_to_local_locking = 1\n}\n';

/** The fake node pair with the commands the synthetic steps use. */
export function makeWorld(names: [string, string] = ['kvm-a', 'kvm-b']): {
  nodes: Record<string, MemoryNode>;
  transports: Record<string, MemoryTransport>;
} {
  const w = memoryPair(names);
  for (const node of Object.values(w.nodes)) {
    node.files.set('/etc/lvm/lvm.conf', { data: STOCK_LVM, mode: 0o644 });
    node
      .on('ip-macs', (_m, n) => ({
        stdout:
          macsOf(n.name)
            .map((mac, i) => `eth${i} ${mac}`)
            .join('\n') + '\n',
      }))
      .on(/^demo-apply (.+)$/, (m, n) => {
        n.vars.applied = true;
        return { stdout: `applied with ${m[1]}\n` };
      })
      .on('demo-check', (_m, n) =>
        n.vars.applied && n.files.has('/etc/demo.conf') ? { stdout: 'ok\n' } : { code: 1, stderr: 'not applied\n' },
      )
      .on('demo-mkpart', (_m, n) => {
        n.vars.parts = Number(n.vars.parts ?? 0) + 1;
      })
      .on('demo-parts', (_m, n) => ({ stdout: `${n.vars.parts ?? 0}\n` }))
      .on('demo-free', () => ({ stdout: '47.5GB\n' }))
      .on(/^demo-create (\S+) (\S+)$/, (m, n) => {
        n.vars.created = Number(n.vars.created ?? 0) + 1;
        n.vars.createdAs = `${m[1]}@${m[2]}`;
      })
      .on('demo-created', (_m, n) => (n.vars.created ? { stdout: String(n.vars.createdAs) } : { code: 1 }))
      .on('demo-start', (_m, n) => {
        n.vars.started = true;
      })
      .on('demo-status', (_m, n) => ({ stdout: n.vars.started ? 'running\n' : 'stopped\n' }));
  }
  return w;
}

function fail(ctx: TaskContext, task: string, expected: string, seen: string): never {
  throw new VerifyFailed(task, ctx.node.plan.name, expected, seen);
}

/** The synthetic install: 4 steps, 8 tasks. */
export function syntheticSteps(): Step[] {
  return [
    {
      id: 'prep',
      title: 'Prepare',
      doc: 'capture MACs, write a config holding a secret',
      tasks: [
        {
          id: 'prep.macs',
          title: 'Capture MACs',
          on: 'each',
          kind: 'safe',
          async run(ctx) {
            const macs = (await ctx.node.sh('ip-macs'))
              .trim()
              .split('\n')
              .map((l) => l.split(' ')[1]);
            ctx.capture(nicsKey(ctx.node.plan.name), {
              bcn: [macs[0], macs[3]],
              sn: [macs[1], macs[4]],
              ifn: [macs[2], macs[5]],
            });
          },
          async verify(ctx) {
            const c = ctx.captured<{ bcn: string[] }>(nicsKey(ctx.node.plan.name));
            if (!c) fail(ctx, 'prep.macs', 'captured MACs', 'none');
            return { summary: `bcn ${c.bcn.join(', ')}` };
          },
        },
        {
          id: 'prep.conf',
          title: 'Write demo.conf',
          on: 'both',
          kind: 'safe',
          files: () => [
            { path: '/etc/demo.conf', template: T('demo.conf.ejs'), backup: 'orig', secret: true, mode: 0o600 },
          ],
          commands: (p) => [sh`demo-apply ${p.answers.ricci.password!}`],
          async verify(ctx) {
            await ctx.node.sh('demo-check');
            const f = await ctx.node.readFile('/etc/demo.conf');
            if (!f?.includes(`cluster = ${ctx.plan.cluster.name}`))
              fail(ctx, 'prep.conf', `cluster = ${ctx.plan.cluster.name}`, f ?? 'no file');
            return { summary: 'demo applied', details: { password: ctx.plan.answers.ricci.password! } };
          },
        },
      ],
    },
    {
      id: 'disk',
      title: 'Disk',
      doc: 'a destructive once task, an edit, a captured free-space start',
      tasks: [
        {
          id: 'disk.mkpart',
          title: 'Make partition',
          on: 'each',
          kind: 'once',
          destroys: () => '/dev/vdb',
          commands: () => ['demo-mkpart'],
          done: async (ctx) => (await ctx.node.sh('demo-parts')).trim() !== '0',
          async verify(ctx) {
            const n = (await ctx.node.sh('demo-parts')).trim();
            if (n !== '1') fail(ctx, 'disk.mkpart', '1 partition', `${n} partitions`);
            return { summary: '1 partition' };
          },
        },
        {
          id: 'disk.lvm',
          title: 'Clustered locking in lvm.conf',
          on: 'both',
          kind: 'safe',
          files: () => [
            {
              path: '/etc/lvm/lvm.conf',
              template: T('lvm-stock.conf.ejs'),
              backup: 'root-backups',
              edit: (c) => c.replace(/locking_type = \d/, 'locking_type = 3'),
            },
          ],
          async verify(ctx) {
            const f = (await ctx.node.readFile('/etc/lvm/lvm.conf')) ?? '';
            if (!f.includes('locking_type = 3')) fail(ctx, 'disk.lvm', 'locking_type = 3', f);
            return { summary: 'locking_type = 3' };
          },
        },
        {
          id: 'disk.free',
          title: 'Find free space',
          on: 'node1',
          kind: 'safe',
          async run(ctx) {
            ctx.capture(FREE_START_KEY, (await ctx.node.sh('demo-free')).trim());
          },
          async verify(ctx) {
            const s = ctx.captured<string>(FREE_START_KEY);
            if (!s) fail(ctx, 'disk.free', 'a free-space start', 'none');
            return { summary: `free from ${s}` };
          },
        },
      ],
    },
    {
      id: 'check',
      title: 'Operator check',
      doc: 'a gate',
      tasks: [
        {
          id: 'check.failover',
          title: 'Pull a cable',
          on: 'node1',
          kind: 'gate',
          gate: {
            instruct: (p) => `Pull the BCN cable of ${p.nodes[0].name}.`,
            checklist: () => ['cable pulled', 'failover seen'],
          },
        },
      ],
    },
    {
      id: 'cluster',
      title: 'Cluster',
      doc: 'a once task using a captured value, then a safe start on both',
      tasks: [
        {
          id: 'cluster.create',
          title: 'Create the cluster',
          on: 'node1',
          kind: 'once',
          expect: (p) => [`cluster ${p.cluster.name} created from ${p.resources[0].start}`],
          async run(ctx) {
            await ctx.node.sh(sh`demo-create ${ctx.plan.cluster.name} ${ctx.plan.resources[0].start!}`);
          },
          done: async (ctx) => (await ctx.node.exec('demo-created')).code === 0,
          async verify(ctx) {
            const r = await ctx.node.exec('demo-created');
            if (r.code !== 0) fail(ctx, 'cluster.create', 'created', 'absent');
            return { summary: `created ${r.stdout}` };
          },
        },
        {
          id: 'cluster.start',
          title: 'Start',
          on: 'both',
          kind: 'safe',
          commands: () => ['demo-start'],
          async verify(ctx) {
            const s = (await ctx.node.sh('demo-status')).trim();
            if (s !== 'running') fail(ctx, 'cluster.start', 'running', s);
            return { summary: s };
          },
        },
      ],
    },
  ];
}

/** A fresh temporary state folder, removed after the test file. */
export function tempDir(prefix = 'anvil-engine-'): string {
  return tempFolder(prefix);
}

/** Open the folder, run, close: one invocation of the installer. */
export async function runIn(
  dir: string,
  o: Omit<RunnerOptions, 'store' | 'steps' | 'answers'> & { steps?: Step[]; answers?: Answers },
  hook?: (r: Runner, store: StateStore) => void,
): Promise<RunResult> {
  const store = StateStore.open(dir, { create: true });
  try {
    const runner = new Runner({
      answers: o.answers ?? testAnswers(),
      steps: o.steps ?? syntheticSteps(),
      store,
      renderer: 'silent',
      ...o,
    });
    hook?.(runner, store);
    return await runner.run();
  } finally {
    store.close();
  }
}
