/** `check --limit NODE`: the verifies of one node's records only; the other node is not read. */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { install, type TransportFactory } from '../../src/commands/install.js';
import { check, checkExitCode } from '../../src/commands/check.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { UsageError } from '../../src/errors.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { buildProgram } from '../../src/cli.js';
import { makeWorld, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const out = captureOutput();
  const prev = setOutput(out);
  try {
    return { value: await fn(), text: out.text() };
  } finally {
    setOutput(prev);
  }
}

/** The synthetic install done on a fake pair: its world, the command deps and the state folder. */
async function installed() {
  const w = makeWorld();
  const f: TransportFactory = async () => ({ transports: w.transports, close: async () => {} });
  const deps = {
    transportFactory: f,
    steps: syntheticSteps(),
    env: { ...SECRETS },
    renderer: 'silent' as const,
    signals: false,
  };
  const dir = tempDir();
  dirs.push(dir);
  await captured(() =>
    install({ answers: 'test/fixtures/other.anvil.yaml', state: dir, yes: true, acceptGates: true }, deps),
  );
  return { w, deps, dir };
}

describe('check --limit NODE', () => {
  it("checks that node's records only: its drift found, the other node's neither reported nor read", async () => {
    const { w, deps, dir } = await installed();
    // node 2's cluster stopped: a drift there only
    w.nodes['kvm-b'].vars.started = false;
    const readsBefore = w.nodes['kvm-b'].count(/./);
    const a = await captured(() => check({ state: dir, limit: 'kvm-a' }, deps));
    expect(checkExitCode(a.value)).toBe(EXIT.ok);
    expect(a.text).toContain("every done task's verify on kvm-a, read-only");
    expect(a.text).toMatch(/^ {2}cluster\.start +kvm-a +ok /m);
    expect(a.text).not.toMatch(/^ {2}\S+ +kvm-b /m);
    expect(a.text).toMatch(/task records checked \(task × node\): (\d+) ok, 0 drifted/);
    // NOTE: prep.conf's verify reads its own node only; no task of the synthetic install reads the peer
    expect(w.nodes['kvm-b'].count(/./)).toBe(readsBefore);

    const b = await captured(() => check({ state: dir, limit: 'kvm-b', json: true }, deps));
    expect(checkExitCode(b.value)).toBe(EXIT.drift);
    const j = JSON.parse(b.text) as { limit: string; findings: { node: string; status: string; task: string }[] };
    expect(j.limit).toBe('kvm-b');
    expect(new Set(j.findings.map((x) => x.node))).toEqual(new Set(['kvm-b']));
    expect(j.findings.filter((x) => x.status === 'drift').map((x) => x.task)).toEqual(['cluster.start']);
  });

  it('refuses a node the answers do not name, and --limit with --force', async () => {
    const { deps, dir } = await installed();
    const e = await check({ state: dir, limit: 'kvm-c' }, deps).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toBe('--limit kvm-c: no such node');
    expect((e as UsageError).hint).toBe('the nodes are kvm-a, kvm-b');
    await expect(check({ state: dir, limit: 'kvm-a', only: 'prep', force: true }, deps)).rejects.toBeInstanceOf(
      UsageError,
    );
  });

  it('is in check --help', async () => {
    const help = (await buildProgram()).commands.find((c) => c.name() === 'check')!.helpInformation();
    expect(help).toContain('--limit <node>');
  });
});
