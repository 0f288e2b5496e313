/**
 * `npm run torture`: the kill-and-resume campaign. For each seed, a lab is served by its own process,
 * the wizard (`install --lab --yes`) is SIGKILLed at random moments and resumed until it finishes;
 * then the end state of both nodes is compared with an uninterrupted run's, and the lab's journals
 * are searched for a destructive command that ran twice on a node and for a guest started twice.
 * Prints one JSON object; exits 1 when any seed broke a rule. Options: `--seeds N` (default 12),
 * `--first S` (first seed), `--to STEP` (stop the install after STEP), `--max-rounds N`, `--kill-lab`
 * (half the kills SIGKILL the lab process too, which is then served again from its saved world).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorldOffline } from '../lab/index.js';
import { rng } from '../lab/world.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'anvil-install.js');
const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');

/** Commands that destroy data or create something unique: each may run at most once per node (and per target). */
export const DESTRUCTIVE: RegExp[] = [
  /^parted -s(?: -a optimal)? \S+ mkpart .*/,
  /^drbdadm create-md .*/,
  /^drbdadm -- --clear-bitmap new-current-uuid .*/,
  /^pvcreate .*/,
  /^vgcreate .*/,
  /^lvcreate .*/,
  /^mkfs\.gfs2 .*/,
  /^ssh-keygen -t rsa.*/,
  /^nohup \/shared\/provision\/\S+\.sh .*/,
];

/** Per node, destructive command strings seen more than once in a lab journal folder. */
export function repeatedDestructive(labDir: string, nodes: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of nodes) {
    const f = join(labDir, 'journal', `${n}.jsonl`);
    if (!existsSync(f)) continue;
    const seen = new Map<string, number>();
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      const cmd = (JSON.parse(line) as { cmd?: string }).cmd ?? '';
      if (DESTRUCTIVE.some((re) => re.test(cmd))) seen.set(cmd, (seen.get(cmd) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, k]) => k > 1).map(([c, k]) => `${c} (×${k})`);
    if (twice.length) out[n] = twice;
  }
  return out;
}

/** Commands whose output makes up a node's observable end state. */
export const END_STATE = [
  'cat /etc/hosts',
  'cat /etc/cluster/cluster.conf',
  'chkconfig --list',
  'cat /proc/net/bonding/bond0 /proc/net/bonding/bond1 /proc/net/bonding/bond2',
  'cat /proc/drbd',
  'cman_tool status',
  'clustat',
  'virsh list --all',
  'ls /etc /root /shared',
];

/** The end state of both nodes, volatile parts (keys, times, pids, counters) masked. */
export async function endState(labDir: string, nodes: string[]): Promise<Record<string, string>> {
  const world = await loadWorldOffline({ stateDir: labDir });
  const out: Record<string, string> = {};
  for (const n of nodes)
    for (const cmd of END_STATE) {
      const node = world.nodes[n];
      if (!node) continue;
      let text: string;
      try {
        const r = await node.exec(cmd);
        text = `${r.code}\n${r.stdout}${r.stderr}`;
      } catch (e) {
        text = `error: ${(e as Error).message}`;
      }
      out[`${n}: ${cmd}`] = text
        .replace(/AAAA[0-9A-Za-z+/]{40,}={0,2}/g, 'KEY')
        .replace(/Cluster Status for (\S+) @ .*/g, 'Cluster Status for $1 @ TIME')
        .replace(/Cluster Generation: \d+/g, 'Cluster Generation: N')
        .replace(/(ns|nr|dw|dr|al|bm|ep):\d+/g, '$1:N')
        .replace(/^ +\d+ +(\S+ +(running|paused))/gm, ' ID $1')
        .replace(/Link Failure Count: \d+/g, 'Link Failure Count: N');
    }
  return out;
}

function start(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): { proc: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> } {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, done: new Promise((r) => proc.on('close', (code, signal) => r({ code, signal, out }))) };
}

async function serve(labDir: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const { proc } = start(['lab', 'serve', '--answers', ANSWERS, '--state', labDir], cwd, env);
  await new Promise<void>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^lab ready/m.test(out)) res();
    });
    proc.on('exit', (c) => rej(new Error(`lab serve exited (${c}) before ready: ${out}`)));
  });
  return proc;
}

/** One uninterrupted install into `state`; resolves with its exit code and output. */
async function plainRun(state: string, cwd: string, env: NodeJS.ProcessEnv, to?: string) {
  const lab = await serve(join(state, 'lab'), cwd, env);
  try {
    return await start(
      ['install', '--lab', '--yes', '--answers', ANSWERS, '--state', state, ...(to ? ['--to', to] : [])],
      cwd,
      env,
    ).done;
  } finally {
    lab.kill('SIGTERM');
  }
}

/** The result of one seed. */
export interface SeedResult {
  seed: number;
  kills: number;
  rounds: number;
  finished: boolean;
  exitCode: number | null;
  repeatedDestructive: Record<string, string[]>;
  endStateDiffers: string[];
  wallMs: number;
  /** With --kill-lab: kills that took the lab process down too. */
  labKills?: number;
}

/** One seed: kill the wizard at random moments, resume until it finishes, then check the rules. */
export async function tortureSeed(
  seed: number,
  reference: Record<string, string>,
  o: { work: string; to?: string; maxRounds: number; env: NodeJS.ProcessEnv; killLab?: boolean },
): Promise<SeedResult> {
  const t0 = Date.now();
  const state = join(o.work, `seed-${seed}`);
  const labDir = join(state, 'lab');
  let lab = await serve(labDir, o.work, o.env);
  let labKills = 0;
  const rnd = rng(seed);
  let kills = 0;
  let rounds = 0;
  let finished = false;
  let exitCode: number | null = null;
  try {
    for (; rounds < o.maxRounds && !finished; rounds++) {
      const begun =
        existsSync(join(state, 'state.json')) &&
        !!(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { answersFile?: string }).answersFile;
      // NOTE: `resume` has no --to: with one, carrying on is `install` again on the same state folder.
      const args =
        begun && !o.to
          ? ['resume', '--yes', '--state', state]
          : ['install', '--lab', '--yes', '--answers', ANSWERS, '--state', state, ...(o.to ? ['--to', o.to] : [])];
      const run = start(args, o.work, o.env);
      // NOTE: early rounds kill often; the last third lets the run finish.
      const delay = rounds < (o.maxRounds * 2) / 3 ? Math.floor(150 + rnd() * 4000) : 3_600_000;
      // NOTE: with --kill-lab, every other kill takes the lab process down at the same instant: what
      // the wizard was told is done must be in the lab's saved world when it is served again.
      const labToo = !!o.killLab && rnd() < 0.5;
      const timer = setTimeout(() => {
        run.proc.kill('SIGKILL');
        if (labToo) lab.kill('SIGKILL');
      }, delay);
      const r = await run.done;
      clearTimeout(timer);
      if (r.signal === 'SIGKILL') {
        kills++;
        if (labToo) {
          labKills++;
          await new Promise((res) =>
            lab.exitCode !== null || lab.signalCode !== null ? res(null) : lab.once('exit', res),
          );
          lab = await serve(labDir, o.work, o.env);
        }
        continue;
      }
      exitCode = r.code;
      finished = true;
    }
  } finally {
    lab.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
  }
  const nodes = Object.keys((await loadWorldOffline({ stateDir: labDir })).nodes);
  const got = await endState(labDir, nodes);
  const endStateDiffers = Object.keys(reference).filter((k) => reference[k] !== got[k]);
  return {
    seed,
    kills,
    rounds,
    finished,
    exitCode,
    repeatedDestructive: repeatedDestructive(labDir, nodes),
    endStateDiffers,
    wallMs: Date.now() - t0,
    ...(o.killLab ? { labKills } : {}),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const toI = args.indexOf('--to');
  const to = toI >= 0 ? args[toI + 1] : undefined;
  const seeds = opt('seeds', 12);
  const first = opt('first', 1);
  const maxRounds = opt('max-rounds', 30);
  const work = mkdtempSync(join(tmpdir(), 'anvil-torture-'));
  const env = { ...process.env, CI: 'true' };
  try {
    const refState = join(work, 'reference');
    const t0 = Date.now();
    const ref = await plainRun(refState, work, env, to);
    const referenceMs = Date.now() - t0;
    const nodes = Object.keys((await loadWorldOffline({ stateDir: join(refState, 'lab') })).nodes);
    const reference = await endState(join(refState, 'lab'), nodes);
    const results: SeedResult[] = [];
    for (let s = first; s < first + seeds; s++)
      results.push(await tortureSeed(s, reference, { work, to, maxRounds, env, killLab: args.includes('--kill-lab') }));
    const bad = results.filter(
      (r) =>
        !r.finished || r.exitCode !== ref.code || Object.keys(r.repeatedDestructive).length || r.endStateDiffers.length,
    );
    const summary = {
      referenceExitCode: ref.code,
      referenceMs,
      seeds: results.length,
      kills: results.reduce((k, r) => k + r.kills, 0),
      failedSeeds: bad.map((r) => r.seed),
      results,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    process.exitCode = bad.length ? 1 : 0;
  } finally {
    if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`kept ${work}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
