/**
 * `npm run torture`: the kill-and-resume campaign. For each seed, a lab is served by its own process,
 * the wizard (`install --lab --yes`) is SIGKILLed at random moments and resumed until it finishes;
 * then the end state of both nodes is compared with an uninterrupted run's, and the lab's journals
 * are searched for a destructive command that ran twice on a node and for a guest started twice.
 * Prints one JSON object; exits 1 when any seed broke a rule. Options: `--seeds N` (default 12),
 * `--first S` (first seed), `--to STEP` (stop the install after STEP), `--max-rounds N`, `--kill-lab`
 * (half the kills SIGKILL the lab process too, which is then served again from its saved world).
 * `--windows`: the kill campaign over steps 9-20 instead (kill-window.ts): the targeted seeds, every
 * seed of its list (`WINDOW_SEEDS`, the known defects included) and `--seeds N` (default 36) more
 * random ones, each from a checkpoint of the step before; prints its figures. `--answers FILE`: install
 * that cluster instead of the tutorial's (e.g. test/fixtures/other.anvil.yaml, with the secrets it
 * reads from the environment exported). `npm test` runs the targeted seeds and a few that kill at
 * named commands (test/bench/); the long lists run here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorldOffline } from '../lab/index.js';
import { loadSavedWorld } from '../lab/store/persist.js';
import { rng } from '../lab/world.js';
import { answersFile, useAnswers, serveLab as serve, startCli as start, stopLab } from './cli-run.js';
import { endState, repeatedDestructive } from './end-state.js';
import { brokenRules, campaignFigures, windowCampaign } from './kill-window.js';

/** One uninterrupted install into `state`; resolves with its exit code and output. */
/** An uninterrupted install against a lab served by its own process; `ms`: the wizard's run alone. */
async function plainRun(state: string, cwd: string, env: NodeJS.ProcessEnv, to?: string) {
  const lab = await serve(join(state, 'lab'), cwd, env);
  try {
    // NOTE: timed without the lab's start and stop: a seed's kills are drawn within this time, and a
    // run of a few seconds (--to ssh-keys) would otherwise often end before its kill.
    const t0 = Date.now();
    const done = await start(
      ['install', '--lab', '--yes', '--answers', answersFile(), '--state', state, ...(to ? ['--to', to] : [])],
      cwd,
      env,
    ).done;
    return { ...done, ms: Date.now() - t0 };
  } finally {
    await stopLab(lab);
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
  /** Guests the lab saw started on both nodes at once (a corrupted disk). */
  doubleStarts: unknown[];
  endStateDiffers: string[];
  wallMs: number;
  /** With --kill-lab: kills that took the lab process down too. */
  labKills?: number;
}

/** One seed: kill the wizard at random moments, resume until it finishes, then check the rules. */
export async function tortureSeed(
  seed: number,
  reference: Record<string, string>,
  o: {
    work: string;
    to?: string;
    maxRounds: number;
    env: NodeJS.ProcessEnv;
    killLab?: boolean;
    /** How long the uninterrupted run took: kills land within it (a later one would never land). */
    referenceMs?: number;
  },
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
          : [
              'install',
              '--lab',
              '--yes',
              '--answers',
              answersFile(),
              '--state',
              state,
              ...(o.to ? ['--to', o.to] : []),
            ];
      const run = start(args, o.work, o.env);
      // NOTE: early rounds kill often; the last third lets the run finish.
      // NOTE: within the uninterrupted run's time (a run shorter than 4 s, e.g. --to ssh-keys, was never killed).
      const span = Math.min(4000, Math.max(300, (o.referenceMs ?? 4150) - 150));
      const delay = rounds < (o.maxRounds * 2) / 3 ? Math.floor(150 + rnd() * span) : 3_600_000;
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
    await stopLab(lab);
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
    doubleStarts:
      (loadSavedWorld(labDir) as { subsystems?: { virt?: { doubleStarts?: unknown[] } } }).subsystems?.virt
        ?.doubleStarts ?? [],
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
  const answersI = args.indexOf('--answers');
  // NOTE: secrets an answers file takes from the environment (the second example's ILO_PW, RICCI_PW) come from ours.
  if (answersI >= 0) useAnswers(args[answersI + 1]);
  const toI = args.indexOf('--to');
  const to = toI >= 0 ? args[toI + 1] : undefined;
  const seeds = opt('seeds', 12);
  const first = opt('first', 1);
  const maxRounds = opt('max-rounds', 30);
  const work = mkdtempSync(join(tmpdir(), 'anvil-torture-'));
  const env = { ...process.env, CI: 'true' };
  try {
    if (args.includes('--windows')) {
      const results = await windowCampaign({
        work,
        env,
        seeds: opt('seeds', 36),
        first,
        log: (r) => process.stderr.write(`seed ${r.seed} (${r.step}): ${brokenRules(r).join('; ') || 'ok'}\n`),
      });
      const figures = campaignFigures(results);
      process.stdout.write(`${JSON.stringify({ ...figures, results }, null, 2)}\n`);
      process.exitCode = figures.failedSeeds.length ? 1 : 0;
      return;
    }
    const refState = join(work, 'reference');
    const ref = await plainRun(refState, work, env, to);
    const referenceMs = ref.ms;
    const nodes = Object.keys((await loadWorldOffline({ stateDir: join(refState, 'lab') })).nodes);
    const reference = await endState(join(refState, 'lab'), nodes);
    const results: SeedResult[] = [];
    for (let s = first; s < first + seeds; s++)
      results.push(
        await tortureSeed(s, reference, {
          work,
          to,
          maxRounds,
          env,
          killLab: args.includes('--kill-lab'),
          referenceMs,
        }),
      );
    const bad = results.filter(
      (r) =>
        !r.finished ||
        r.exitCode !== ref.code ||
        Object.keys(r.repeatedDestructive).length ||
        r.doubleStarts.length ||
        r.endStateDiffers.length,
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
