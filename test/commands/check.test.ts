/**
 * `anvil-install check` on the synthetic install and in-memory nodes: the report and its exit code,
 * `--only STEP --force` re-applying a step, and the errors an operator can cause (flags, folders,
 * a folder an install holds).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { install, type TransportFactory } from '../../src/commands/install.js';
import { check, checkExitCode } from '../../src/commands/check.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { captureOutput, setOutput, type Output } from '../../src/output.js';
import { acquireLock } from '../../src/state/store.js';
import { AnvilError, UsageError } from '../../src/errors.js';
import { makeWorld, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';
import { runCli } from './run-cli.js';

const ANSWERS = 'test/fixtures/other.anvil.yaml';
const env = { ...SECRETS };

let out: ReturnType<typeof captureOutput>;
let prev: Output;
beforeEach(() => {
  out = captureOutput();
  prev = setOutput(out);
});
afterEach(() => {
  setOutput(prev);
});

function setup() {
  const w = makeWorld();
  let connects = 0;
  const f: TransportFactory = async () => {
    connects++;
    return { transports: w.transports, close: async () => undefined };
  };
  const deps = { transportFactory: f, steps: syntheticSteps(), env, renderer: 'silent' as const, signals: false };
  return { w, deps, connects: () => connects };
}

async function installedTo(to?: string) {
  const s = setup();
  const dir = join(tempDir(), '.anvil');
  const r = await install(
    { answers: ANSWERS, state: dir, yes: true, acceptGates: true, ...(to ? { to } : {}) },
    s.deps,
  );
  expect(r.outcome).toBe('complete');
  out = captureOutput();
  setOutput(out);
  return { ...s, dir };
}

describe('check', () => {
  it('reports every task and node ok after an install (exit 0), then names the drift (exit 7) and masks secrets', async () => {
    const { w, deps, dir } = await installedTo();
    const ok = await check({ state: dir }, deps);
    expect(checkExitCode(ok)).toBe(EXIT.ok);
    const text = out.text();
    expect(text).toMatch(/^prep — Prepare$/m);
    expect(text).toMatch(/^ {2}prep\.conf +kvm-b +ok +demo applied$/m);
    // NOTE: the gate was accepted (skipped) by --accept-gates: nothing of that step is done
    expect(text).toMatch(/^check — Operator check: no task done yet, not checked$/m);
    expect(text).toContain('12 task records checked (task × node): 12 ok, 0 drifted; 1 not checked');
    expect(text).toContain('✔ no drift: every done task still verifies');
    expect(text).not.toContain('resume');

    out = captureOutput();
    setOutput(out);
    w.nodes['kvm-b'].vars.started = false;
    const conf = w.nodes['kvm-a'].files.get('/etc/demo.conf')!;
    conf.data = conf.data.replace(/cluster = \S+/, `cluster = ${SECRETS.RICCI_PW}`);
    const bad = await check({ state: dir }, deps);
    expect(checkExitCode(bad)).toBe(EXIT.drift);
    const t = out.text();
    // what the verify saw (the file) stays under its column, line by line
    expect(t).toMatch(
      /^ {2}prep\.conf +kvm-a +DRIFT +saw: # demo\.conf for kvm-a in cluster bc-prod-7\n +cluster = \*{8}\n/m,
    );
    expect(t).toMatch(/^ +expected: cluster = bc-prod-7$/m);
    expect(t).toMatch(/^ {2}cluster\.start +kvm-b +DRIFT +saw: stopped$/m);
    expect(t).toContain('12 task records checked (task × node): 10 ok, 2 drifted; 1 not checked');
    expect(t).toContain('✖ drift: prep.conf on kvm-a, cluster.start on kvm-b');
    expect(t).toContain(`anvil-install check --state ${resolve(dir)} --only prep --force`);
    expect(t).toContain(`anvil-install check --state ${resolve(dir)} --only cluster --force`);
    expect(t).not.toContain(SECRETS.RICCI_PW);
    // the check wrote nothing to the state file
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).not.toContain('check:');
  });

  it('--only STEP --force --yes re-applies that step; a check of it then passes', async () => {
    const { w, deps, dir } = await installedTo();
    const conf = w.nodes['kvm-a'].files.get('/etc/demo.conf')!;
    const good = conf.data;
    conf.data = 'tampered\n';
    expect(checkExitCode(await check({ state: dir, only: 'prep' }, deps))).toBe(EXIT.drift);
    const r = await check({ state: dir, only: 'prep', force: true, yes: true }, deps);
    expect(r.kind === 'reapply' && r.run.executed).toContain('prep.conf@kvm-a');
    expect(checkExitCode(r)).toBe(EXIT.ok);
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toBe(good);
    expect(readFileSync(join(dir, 'install.log'), 'utf8')).toContain(
      `anvil-install check --state ${resolve(dir)} --only prep --force --yes`,
    );
    out = captureOutput();
    setOutput(out);
    expect(checkExitCode(await check({ state: dir, only: 'prep' }, deps))).toBe(EXIT.ok);
    expect(out.text()).toMatch(/^ {2}prep\.conf +kvm-a +ok/m);
  });

  it('a state folder with nothing done yet: not checked, no connection, a hint to resume', async () => {
    const { deps, dir, connects } = await installedTo('prep');
    const before = connects();
    const r = await check({ state: dir, only: 'cluster' }, deps);
    expect(checkExitCode(r)).toBe(EXIT.ok);
    expect(connects()).toBe(before);
    expect(out.text()).toContain('cluster — Cluster: no task done yet, not checked');
    expect(out.text()).toContain(`carry on the install with \`anvil-install resume --state ${resolve(dir)}\``);
    await expect(check({ state: dir, only: 'cluster', force: true, yes: true }, deps)).rejects.toThrow(
      /cluster has no done task to re-apply/,
    );
  });

  it('errors: --force without --only (usage, exit 2), no state folder (exit 1), a folder an install holds', async () => {
    const { deps, dir } = await installedTo('prep');
    const usage = await check({ state: '/nonexistent/anvil', force: true }, deps).catch((e: unknown) => e);
    expect(usage).toBeInstanceOf(UsageError);
    expect((usage as UsageError).exitCode).toBe(EXIT.usage);
    expect((usage as UsageError).message).toBe('check --force re-applies one step: name it with --only STEP');
    expect((usage as UsageError).hint).toContain('anvil-install check --state /nonexistent/anvil --only STEP --force');
    await expect(check({ state: dir, only: 'nope' }, deps)).rejects.toThrow(/--only nope: no such step/);
    const missing = await check({ state: '/nonexistent/anvil' }, deps).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AnvilError);
    expect((missing as AnvilError).exitCode).toBe(EXIT.failed);
    expect((missing as AnvilError).message).toBe('no state folder at /nonexistent/anvil');
    const unlock = acquireLock(resolve(dir));
    try {
      // NOTE: this process holds the lock, so it counts as a live install
      const held = await check({ state: dir }, deps).catch((e: unknown) => e);
      expect((held as AnvilError).message).toMatch(
        /^state folder .* is in use by another anvil-install \(pid \d+ on .*\): a check now would read nodes that run is changing$/,
      );
      expect((held as AnvilError).hint).toContain(`anvil-install status --state ${dir}`);
    } finally {
      unlock();
    }
  });

  it('check --help names the command, its examples and exit code 7', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.out).toContain('--only <step>');
    expect(r.out).toContain('$ anvil-install check --state .anvil --only hosts --force --yes');
    expect(r.out).toMatch(/ {2}7 +`check`: drift found/);
    const top = await runCli(['--help']);
    expect(top.out).toMatch(/ {2}status \[options\][^]*\n {2}check \[options\] +drift report/);
  });
});
