/**
 * `npm run bench`: what one remote command costs over a persistent `NodeSession` compared with a
 * fresh `ssh` process per command and with `ssh` over a ControlMaster socket, all against the same
 * loopback OpenSSH sshd, plus the runner's own overhead per task. Prints ONE JSON object on stdout.
 * A benchmark, not a test: the goal checks are reported as booleans, never asserted.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
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

async function runnerOverhead(n: number): Promise<{ perTaskMs: number; totalMs: number; tasks: number }> {
  const r = await measureRunnerOverhead(n);
  return { perTaskMs: Math.round(r.perTaskMs * 1000) / 1000, totalMs: Math.round(r.totalMs), tasks: n };
}

/** Run the whole benchmark; resolves with the report object. */
export async function bench(
  opts: { nodeRuns?: number; freshRuns?: number; muxRuns?: number; runnerTasks?: number } = {},
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
    const lab = await installOnLab();
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
      installOnLab: lab,
      goals: {
        wholeInstallOnLabUnder30s: lab.exitCode === 0 && lab.wallMs < 30_000,
        nodeSessionAtMostFreshOver20: node.medianMs <= fresh.medianMs / 20,
        nodeSessionAtMostControlMaster: node.medianMs <= mux.medianMs,
        runnerUnder1msPerTask: runner.perTaskMs < 1,
      },
    };
  } finally {
    await d.stop();
  }
}

/**
 * The README's main job: the whole install on the lab from a fresh state folder, through the CLI,
 * with the tutorial's waits in lab time. Wall time, exit code and the steps done.
 */
async function installOnLab(): Promise<{ wallMs: number; exitCode: number | null; done: string }> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-lab-'));
  const t = now();
  try {
    const r = await new Promise<{ code: number | null; out: string }>((res) => {
      const p = spawn(
        process.execPath,
        [
          join(root, 'bin', 'anvil-install.js'),
          'install',
          '--lab',
          '--yes',
          '--answers',
          join(root, 'examples', 'tutorial.anvil.yaml'),
          '--state',
          join(dir, 'state'),
        ],
        { cwd: dir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => res({ code, out }));
    });
    return { wallMs: Math.round(now() - t), exitCode: r.code, done: /done: +(.*)/.exec(r.out)?.[1]?.trim() ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const report = await bench().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.message}\n`);
  process.exit(1);
});
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
