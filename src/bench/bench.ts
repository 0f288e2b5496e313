/**
 * `npm run bench`: what one remote command costs over a persistent `NodeSession` compared with a
 * fresh `ssh` process per command and with `ssh` over a ControlMaster socket, all against the same
 * loopback OpenSSH sshd, plus the runner's own overhead per task; the whole install on the lab with
 * where its time went (transport, the lab's shell, the lab's persistence, real-time waits; CPU time
 * beside wall time, which a shared machine inflates), optionally against another checkout in the same
 * run (`--compare DIR`, alternating, `--install-runs N`); and the kill-and-resume campaign's figures
 * (`--torture-seeds N`, default 1, 0 for none; `--torture-to STEP`, default ssh-keys). Prints ONE
 * JSON object on stdout. A benchmark, not a test: the goal checks are reported as booleans, never asserted.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PerfCounters } from '../util/perf.js';
import { measureRunnerOverhead } from '../engine/runner-overhead.js';
import { fingerprint } from '../remote/host-keys.js';
import { NodeSession } from '../remote/node-session.js';
import { startLocalSshd, type LocalSshd } from './local-sshd.js';

/** Summary of a series of timings (milliseconds). */
export interface Timing {
  runs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

/** Median, p90 and min of `samples` (ms), rounded to µs. */
export function summarize(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { runs: s.length, medianMs: r(mid), p90Ms: r(at(0.9)), minMs: r(s[0]) };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The repository root of this checkout (dist/src/bench/ → ../../..). */
const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

const cpuOf = (r: InstallRun) => (r.cpuUserMs ?? 0) + (r.cpuSystemMs ?? 0);

/** The run of median wall time. */
function medianRun(runs: InstallRun[]): InstallRun {
  return [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

async function timeSeries(n: number, once: () => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await once();
    samples.push(now() - t);
  }
  return summarize(samples);
}

function sshArgs(d: LocalSshd, knownHosts: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(d.port),
    '-i',
    d.clientKeyPath,
  ];
}

/** The runner's cost per task: in all, its own work, and the durable checkpoint writes apart. */
async function runnerOverhead(n: number) {
  const r = await measureRunnerOverhead(n);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    perTaskMs: r3(r.perTaskMs),
    // NOTE: the engine's own work: the run less its checkpoint writes (their fsyncs are the disk's).
    enginePerTaskMs: r3((r.totalMs - r.checkpointMs) / n),
    checkpointWritesPerTask: r3(r.checkpointWrites / n),
    checkpointWriteMs: r3(r.checkpointWrites ? r.checkpointMs / r.checkpointWrites : 0),
    totalMs: Math.round(r.totalMs),
    tasks: n,
  };
}

/** Run the whole benchmark; resolves with the report object. */
export async function bench(
  opts: {
    nodeRuns?: number;
    freshRuns?: number;
    muxRuns?: number;
    runnerTasks?: number;
    /** Whole installs per checkout (median reported). Default 1. */
    installRuns?: number;
    /** Another checkout (built, with node_modules) to run the same install from, alternating: before/after. */
    compare?: string;
    /** Seeds of the kill-and-resume campaign (0: none). Default 1. */
    tortureSeeds?: number;
    tortureTo?: string;
  } = {},
): Promise<Record<string, unknown>> {
  const nodeRuns = opts.nodeRuns ?? 200;
  const freshRuns = opts.freshRuns ?? 20;
  const muxRuns = opts.muxRuns ?? 50;
  const d = await startLocalSshd();
  try {
    const knownHosts = join(d.dir, 'known_hosts');
    writeFileSync(knownHosts, `[${d.host}]:${d.port} ${d.hostKeyLine()}\n`);
    const target = `${d.user}@${d.host}`;

    const s = new NodeSession({
      name: 'bench',
      host: d.host,
      port: d.port,
      user: d.user,
      privateKeyPath: d.clientKeyPath,
      agent: false,
      hostKeys: { pinned: fingerprint(d.hostKeyBlob()) },
    });
    const tc = now();
    await s.connect();
    const connectMs = now() - tc;
    for (let i = 0; i < 10; i++) await s.exec('true'); // warm-up
    const node = await timeSeries(nodeRuns, async () => {
      const r = await s.exec('true');
      if (r.code !== 0) throw new Error(`true exited ${r.code}: ${r.stderr}`);
    });
    const tp = now();
    await Promise.all(Array.from({ length: 50 }, () => s.exec('true')));
    const parallel50Ms = now() - tp;
    await s.close();

    const base = sshArgs(d, knownHosts);
    await run('ssh', [...base, target, 'true']); // warm-up (page cache)
    const fresh = await timeSeries(freshRuns, () => run('ssh', [...base, target, 'true']));

    const cp = ['-o', `ControlPath=${join(d.dir, 'cm-%C')}`];
    await run('ssh', [...base, ...cp, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=120', target, 'true']);
    let mux: Timing;
    try {
      mux = await timeSeries(muxRuns, () => run('ssh', [...base, ...cp, target, 'true']));
    } finally {
      await run('ssh', [...base, ...cp, '-O', 'exit', target]).catch(() => undefined);
    }

    const runner = await runnerOverhead(opts.runnerTasks ?? 1000);
    // NOTE: before and after alternate, so both see the same load of a shared machine.
    const runs: InstallRun[] = [];
    const before: InstallRun[] = [];
    for (let i = 0; i < (opts.installRuns ?? 1); i++) {
      if (opts.compare) before.push(await installOnLab(opts.compare));
      runs.push(await installOnLab());
    }
    const lab = medianRun(runs);
    const torture = (opts.tortureSeeds ?? 1) > 0 ? await tortureFigures(opts.tortureSeeds ?? 1, opts.tortureTo) : null;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      bench: 'anvil-install transport',
      command: 'true',
      sshd: `127.0.0.1:${d.port} (OpenSSH, loopback)`,
      machine: { cpus: cpus().length, loadavg1: r2(loadavg()[0]), node: process.version },
      nodeSession: { ...node, connectMs: r2(connectMs), parallel50Ms: r2(parallel50Ms) },
      freshSsh: fresh,
      controlMaster: mux,
      ratios: {
        freshOverNodeSession: r2(fresh.medianMs / node.medianMs),
        controlMasterOverNodeSession: r2(mux.medianMs / node.medianMs),
      },
      runnerOverhead: runner,
      installOnLab: { ...lab, runs: runs.map((x) => x.wallMs), freshSshX30Ms: Math.round(fresh.medianMs * 30) },
      ...(opts.compare
        ? {
            installOnLabBefore: { ...medianRun(before), runs: before.map((x) => x.wallMs) },
            installSpeedup: {
              wall: r2(medianRun(before).wallMs / lab.wallMs),
              cpu: r2(cpuOf(medianRun(before)) / Math.max(1, cpuOf(lab))),
            },
          }
        : {}),
      ...(torture ? { killAndResume: torture } : {}),
      goals: {
        // NOTE: 6 s is for a quiet machine; 30 fresh ssh commands measured in this run scale with its load.
        wholeInstallOnLabUnder6s: lab.exitCode === 0 && lab.wallMs < 6_000,
        wholeInstallOnLabAtMost30FreshSsh: lab.exitCode === 0 && lab.wallMs <= fresh.medianMs * 30,
        nodeSessionAtMostFreshOver20: node.medianMs <= fresh.medianMs / 20,
        nodeSessionAtMostControlMaster: node.medianMs <= mux.medianMs,
        // NOTE: the engine's own work; with its durable checkpoint (one fsync'd write per task that
        // touches a node, issue 15) the figure is perTaskMs, reported beside it.
        runnerUnder1msPerTask: runner.enginePerTaskMs < 1,
        runnerWithDurableCheckpointsUnder1msPerTask: runner.perTaskMs < 1,
        // NOTE: a campaign whose kills never landed proves nothing.
        ...(torture ? { killAndResumePasses: torture.exitCode === 0 && Number(torture.kills) > 0 } : {}),
      },
    };
  } finally {
    await d.stop();
  }
}

/** One whole install on the lab, from a fresh state folder, through the CLI. */
export interface InstallRun {
  /** Which checkout ran it (`.` for this one). */
  root: string;
  wallMs: number;
  exitCode: number | null;
  done: string;
  /** CPU of the install process (lab in-process), from /usr/bin/time when present, else its own counters. */
  cpuUserMs?: number;
  cpuSystemMs?: number;
  /** File system output of the process, bytes (from /usr/bin/time, 512-byte blocks). */
  fsOutBytes?: number;
  /** Where the time went (this checkout only: its ANVIL_PERF_FILE counters). */
  breakdown?: Record<string, number>;
}

/**
 * The README's main job: the whole install on the lab from a fresh state folder, through the CLI
 * of the checkout at `root`, with the tutorial's waits in lab time. Wall and CPU time, and (for a
 * checkout that writes them) the counters of `src/util/perf.ts`.
 */
export async function installOnLab(root = ROOT): Promise<InstallRun> {
  const { spawn } = await import('node:child_process');
  const { existsSync, mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-lab-'));
  const perfFile = join(dir, 'perf.json');
  const timeFile = join(dir, 'time.txt');
  const gnuTime = existsSync('/usr/bin/time');
  const cli = [
    join(root, 'bin', 'anvil-install.js'),
    'install',
    '--lab',
    '--yes',
    '--answers',
    join(root, 'examples', 'tutorial.anvil.yaml'),
    '--state',
    join(dir, 'state'),
  ];
  const t = now();
  try {
    const r = await new Promise<{ code: number | null; out: string }>((res) => {
      const p = gnuTime
        ? spawn('/usr/bin/time', ['-f', '%U %S %O', '-o', timeFile, process.execPath, ...cli], {
            cwd: dir,
            env: { ...process.env, CI: 'true', ANVIL_PERF_FILE: perfFile },
            stdio: ['ignore', 'pipe', 'pipe'],
          })
        : spawn(process.execPath, cli, {
            cwd: dir,
            env: { ...process.env, CI: 'true', ANVIL_PERF_FILE: perfFile },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => res({ code, out }));
    });
    const run: InstallRun = {
      root: root === ROOT ? '.' : root,
      wallMs: Math.round(now() - t),
      exitCode: r.code,
      done: /done: +(.*)/.exec(r.out)?.[1]?.trim() ?? '',
    };
    if (gnuTime && existsSync(timeFile)) {
      const [u, sy, o] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      Object.assign(run, { cpuUserMs: Math.round(u * 1000), cpuSystemMs: Math.round(sy * 1000), fsOutBytes: o * 512 });
    }
    if (existsSync(perfFile)) {
      const c = JSON.parse(readFileSync(perfFile, 'utf8')) as PerfCounters & { cpuUserMs: number; cpuSystemMs: number };
      run.cpuUserMs ??= Math.round(c.cpuUserMs);
      run.cpuSystemMs ??= Math.round(c.cpuSystemMs);
      const r0 = (x: number) => Math.round(x);
      const roundTrips = c.commandMs + c.sftpMs;
      run.breakdown = {
        // NOTE: sums over both nodes' commands, which often run at once: they can exceed the wall time.
        commands: c.commands,
        sftpOps: c.sftpOps,
        transportRoundTripsMsSummed: r0(roundTrips),
        transportOnlyMsSummed: r0(Math.max(0, roundTrips - c.labExecMs)),
        labShellMsSummed: r0(c.labExecMs),
        labSaves: c.labSave?.saves ?? 0,
        labCompactions: c.labSave?.compactions ?? 0,
        labPersistenceMs: r0(c.labSave?.ms ?? 0),
        labLogBytes: c.labSave?.logBytes ?? 0,
        labCompactBytes: c.labSave?.compactBytes ?? 0,
        realWaits: c.realWaits,
        realWaitMs: r0(c.realWaitMs),
        // NOTE: ?? 0: a --compare checkout from before these counters has none.
        checkpointWrites: c.stateWrites ?? 0,
        checkpointWriteMs: r0(c.stateWriteMs ?? 0),
      };
    }
    return run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kill-and-resume campaign (torture.ts) in a child process: its JSON summary, or why it failed. */
async function tortureFigures(seeds: number, to: string | undefined): Promise<Record<string, unknown>> {
  const { spawn } = await import('node:child_process');
  const args = [
    join(ROOT, 'dist', 'src', 'bench', 'torture.js'),
    '--seeds',
    String(seeds),
    ...(to ? ['--to', to] : []),
  ];
  const t = now();
  const r = await new Promise<{ code: number | null; out: string; err: string }>((res) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => res({ code, out, err }));
  });
  try {
    const j = JSON.parse(r.out) as {
      referenceMs: number;
      seeds: number;
      kills: number;
      failedSeeds: number[];
      results: { wallMs: number; rounds: number; kills: number }[];
    };
    return {
      to: to ?? 'the end',
      exitCode: r.code,
      wallMs: Math.round(now() - t),
      referenceMs: j.referenceMs,
      seeds: j.seeds,
      kills: j.kills,
      rounds: j.results.reduce((k, x) => k + x.rounds, 0),
      seedWallMs: j.results.map((x) => x.wallMs),
      failedSeeds: j.failedSeeds,
    };
  } catch {
    return { to: to ?? 'the end', exitCode: r.code, error: (r.err || r.out).slice(-2000) };
  }
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = await bench({
    ...(argValue('compare') ? { compare: resolve(argValue('compare')!) } : {}),
    installRuns: Number(argValue('install-runs') ?? 1),
    tortureSeeds: Number(argValue('torture-seeds') ?? 1),
    tortureTo: argValue('torture-to') ?? 'ssh-keys',
  }).catch((e: Error) => {
    process.stderr.write(`bench failed: ${e.message}\n`);
    process.exit(1);
  });
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}
