/**
 * `anvil-install lab serve|exec|fault|status` as subprocesses of the built CLI (`npx tsc -p .`),
 * serving the contract-conforming fake world (transpiled to plain JS and named through
 * ANVIL_LAB_WORLD_MODULE): serve, exec over SSH, faults, status, SIGKILL + restart keeping the world,
 * exec on the saved world while no lab runs, SIGTERM saving and marking the lab stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { readJournal } from '../../src/lab/store/journal.js';
import { ROOT, runCli, serveLab, type CliResult, type Serving } from '../helpers/cli-process.js';

const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');

let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  // NOTE: dist/ is built once for the whole run by test/global-setup.ts.
  if (!existsSync(join(ROOT, 'dist', 'src', 'commands', 'lab.js')))
    throw new Error('npx tsc -p . did not produce dist/src/commands/lab.js (test/global-setup.ts builds it)');
  work = mkdtempSync(join(tmpdir(), 'anvil-lab-cli-'));
  const src = readFileSync(join(ROOT, 'test', 'helpers', 'fake-lab-world.ts'), 'utf8');
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(join(work, 'fake-world.mjs'), js);
  env = { ...process.env, ANVIL_LAB_WORLD_MODULE: join(work, 'fake-world.mjs'), ANVIL_DEBUG: '1' };
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<CliResult> {
  return runCli(args, { cwd: work, env }, input);
}

function serve(args: string[]): Promise<Serving> {
  return serveLab(args, { cwd: work, env });
}

function ports(text: string): Record<string, number> {
  return Object.fromEntries([...text.matchAll(/^\s+(\S+)\s+127\.0\.0\.1:(\d+)\s/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('anvil-install lab', () => {
  it('documents its sub-commands and the faults', async () => {
    const h = await cli(['lab', '--help']);
    expect(h.code).toBe(0);
    for (const s of ['serve', 'exec', 'fault', 'status']) expect(h.stdout).toContain(s);
    const f = await cli(['lab', 'fault', '--help']);
    expect(f.stdout).toContain('cable NODE NIC up|down');
    expect(f.stdout).toContain('power NODE on|off');
  });

  it('fails clearly without a world or answers', async () => {
    const r = await cli(['lab', 'serve', '--state', join(work, 'empty')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✖ no saved lab world .*\n\s+hint: pass --answers FILE/);
    const e = await cli(['lab', 'exec', 'an-node01', '--state', join(work, 'empty'), '--', 'true']);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('no lab is running');
  });

  it('serves, runs commands, injects faults, survives SIGKILL and restarts with the same world', async () => {
    const state = join(work, 'lab');
    const S = ['--state', state];
    const first = await serve(['--answers', ANSWERS, ...S]);
    try {
      const p1 = ports(first.out());
      expect(Object.keys(p1)).toEqual(['an-node01', 'an-node02', 'control']);
      expect(first.out()).toMatch(/an-node01\s+127\.0\.0\.1:\d+\s+SHA256:[A-Za-z0-9+/]{43}/);
      const info = JSON.parse(readFileSync(join(state, 'lab.json'), 'utf8')) as {
        pid: number;
        nodes: Record<string, { port: number }>;
      };
      expect(info.pid).toBe(first.proc.pid);
      expect(info.nodes['an-node01'].port).toBe(p1['an-node01']);

      expect(await cli(['lab', 'exec', 'an-node01', ...S, '--', 'count'])).toEqual({
        code: 0,
        stdout: '1\n',
        stderr: '',
      });
      expect((await cli(['lab', 'exec', 'an-node01', ...S, '--', 'exit', '7'])).code).toBe(7);
      expect(await cli(['lab', 'exec', 'an-node01', ...S, '--', 'echo', 'to', 'stderr', '>&2'])).toEqual({
        code: 0,
        stdout: '',
        stderr: 'to stderr\n',
      });
      expect((await cli(['lab', 'exec', 'an-node01', ...S, '--stdin', '--', 'cat'], 'fed through\n')).stdout).toBe(
        'fed through\n',
      );
      const unknown = await cli(['lab', 'exec', 'an-node09', ...S, '--', 'true']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no lab node named "an-node09"');

      const st = JSON.parse((await cli(['lab', 'status', ...S, '--json'])).stdout) as {
        running: boolean;
        pid: number;
        nodes: Record<string, { reachable: boolean; port: number }>;
      };
      expect(st.running).toBe(true);
      expect(st.pid).toBe(first.proc.pid);
      expect(st.nodes['an-node02']).toMatchObject({ reachable: true, port: p1['an-node02'] });

      const f = await cli(['lab', 'fault', 'power', 'an-node02', 'off', ...S]);
      expect(f.stderr).toBe('');
      expect(f.code).toBe(0);
      expect(f.stdout).toContain('running lab');
      const down = await cli(['lab', 'exec', 'an-node02', ...S, '--', 'true']);
      expect(down.code).toBe(255);
      expect(down.stderr).toContain('an-node02: no SSH answer');
      const bad = await cli(['lab', 'fault', 'power', 'an-node02', 'sideways', ...S]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/power needs on\|off/);
      expect(bad.stderr).toContain('usage: anvil-install lab fault');
      const human = await cli(['lab', 'status', ...S]);
      expect(human.stdout).toMatch(/^lab running \(pid \d+\)/);
      expect(human.stdout).toMatch(/an-node02\s+no\s+\d+/);
    } finally {
      first.proc.kill('SIGKILL');
      await first.exited;
    }

    // killed: lab.json still names the dead pid; commands work on the saved world in-process
    const off = await cli(['lab', 'status', ...S]);
    expect(off.stdout).toMatch(/^lab not running/);
    // NOTE: the killed lab left its lock; the first command after it takes it over and says so.
    expect(await cli(['lab', 'exec', 'an-node01', ...S, '--', 'count'])).toEqual({
      code: 0,
      stdout: '2\n',
      stderr: expect.stringMatching(
        /^note: took over the stale lock \S+lab\.lock \(held since .*\): its process \d+ is gone\n$/,
      ),
    });
    const still = await cli(['lab', 'exec', 'an-node02', ...S, '--', 'true']);
    expect(still).toMatchObject({ code: 255, stderr: expect.stringContaining('an-node02: no SSH answer') }); // still powered off

    const second = await serve(S); // the answers file is remembered in lab.json
    try {
      expect(ports(second.out())).toEqual(ports(first.out()));
      expect(await cli(['lab', 'exec', 'an-node01', ...S, '--', 'count'])).toEqual({
        code: 0,
        stdout: '3\n',
        stderr: '',
      });
      expect((await cli(['lab', 'fault', 'power', 'an-node02', 'on', ...S])).code).toBe(0);
      expect(await cli(['lab', 'exec', 'an-node02', ...S, '--', 'cat', '/etc/hostname'])).toEqual({
        code: 0,
        stdout: 'an-node02\n',
        stderr: '',
      });
    } finally {
      second.proc.kill('SIGTERM');
    }
    const end = await second.exited;
    expect(end.code).toBe(0);
    expect(second.out()).toContain('lab stopped (SIGTERM)');
    expect((JSON.parse(readFileSync(join(state, 'lab.json'), 'utf8')) as { pid: number | null }).pid).toBeNull();

    const j = readJournal(state, 'an-node01').map((e) => ('cmd' in e ? `${e.cmd} -> ${e.code}` : ''));
    expect(j).toEqual(['count -> 0', 'exit 7 -> 7', 'echo to stderr >&2 -> 0', 'cat -> 0', 'count -> 0', 'count -> 0']);
  }, 240_000);
});
