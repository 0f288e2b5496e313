/**
 * A scripted operator at a real terminal (tmux) approving the install step by step on the lab:
 * while a step's approval is on screen, nothing of that step has run on either node (the lab's own
 * command journals and the installer's journal hold none of its commands or file writes); abort at
 * the network step ends the run (exit 5) with none of that step's commands on the lab.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli-process.js';
import { readJournal } from '../../src/lab/store/journal.js';
import { parseJournal } from '../../src/state/journal.js';
import { loadAnswers } from '../../src/plan/load.js';
import { planWithCaptured } from '../../src/engine/captured.js';
import { readState } from '../../src/state/store.js';
import { STEPS } from '../../steps/index.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('SKIP approval-terminal: no tmux (apt-get install tmux)');
const session = `anvil-approve-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'anvil-approve-'));
const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');
const NODES = ['an-node01', 'an-node02'];
afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
  rmSync(dir, { recursive: true, force: true });
});

const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
async function waitFor<T>(what: () => T | undefined, why: string): Promise<T> {
  // NOTE: a generous deadline for a loaded machine; nothing is timed, only awaited.
  for (const end = Date.now() + 180_000; ;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${why}; screen:\n${pane()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What a step would leave in the journals: its commands and the files it writes, on either node. */
function footprint(stepId: string, state: string) {
  const step = STEPS.find((s) => s.id === stepId)!;
  const plan = planWithCaptured(loadAnswers(ANSWERS, process.env), readState(state)?.captured ?? {});
  const commands = new Set<string>();
  const files = new Set<string>();
  for (const t of step.tasks)
    for (const n of plan.nodes) {
      for (const c of t.commands?.(plan, n) ?? []) commands.add(c);
      for (const f of t.files?.(plan, n) ?? []) files.add(f.path);
    }
  return { tasks: new Set(step.tasks.map((t) => t.id)), commands, files };
}

/** Every trace of the step in the lab's journals and the installer's: empty when nothing of it ran. */
function tracesOf(stepId: string, state: string): string[] {
  const f = footprint(stepId, state);
  const out: string[] = [];
  for (const node of NODES)
    for (const e of readJournal(join(state, 'lab'), node)) {
      if ('cmd' in e && f.commands.has(e.cmd)) out.push(`lab ${node}: ${e.cmd}`);
      if ('sftp' in e && (f.files.has(e.path) || (e.to !== undefined && f.files.has(e.to))))
        out.push(`lab ${node}: sftp ${e.sftp} ${e.path}${e.to ? ` → ${e.to}` : ''}`);
    }
  const journal = join(state, 'journal.jsonl');
  if (existsSync(journal))
    for (const e of parseJournal(readFileSync(journal, 'utf8')))
      if (e.task && f.tasks.has(e.task)) out.push(`installer ${e.node} [${e.task}]: ${e.kind} ${e.cmd ?? e.path}`);
  return out;
}

describe.skipIf(!hasTmux)('step approval in a terminal, on the lab', () => {
  it('runs nothing of a step before it is approved; abort at the network step leaves none of its commands', async () => {
    const state = join(dir, 'st');
    const cmd = `cd ${ROOT} && env -u CI NO_COLOR=1 ${process.execPath} ${BIN} install --lab --answers ${ANSWERS} --state ${state} --to network; echo "rc=$?" > ${dir}/rc; sleep 600`;
    expect(
      spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '60', 'bash', '-c', cmd]).status,
    ).toBe(0);
    const seen: string[] = [];
    for (const [i, id] of ['preflight', 'nics', 'security', 'net-daemons', 'network'].entries()) {
      const question = `Approve step ${i + 1} of 20 (${id})?`;
      const screen = await waitFor(() => {
        const s = pane();
        return s.includes(question) && /▸ approve this step/.test(s) ? s : undefined;
      }, question);
      seen.push(id);
      // the question is on screen: nothing of this step has happened on either node
      expect(tracesOf(id, state), `${id} before its approval`).toEqual([]);
      // ... and what it will do is on the screen: its warnings and its commands
      if (id === 'network') {
        expect(screen).toContain("⚠ Losing access to your server's network is a very real possibility!");
        // the restart as it runs (detached, so it survives the SSH session it drops), and not tagged "safe"
        expect(screen).toContain("$ nohup sh -c 'sleep 1; /etc/init.d/network restart");
        expect(screen).toMatch(/Restart the network and check the bonds +\[re-runnable, disruptive;/);
        expect(screen).toMatch(/⚠ restarts the network on each node in turn/);
        expect(screen).toMatch(
          /ifcfg-bond0: an-node01 new \+8 -0; an-node02 new \+8 -0|ifcfg-bond0 on an-node01: new file/,
        );
        // abort: the fifth choice
        spawnSync('tmux', ['send-keys', '-t', session, 'Down', 'Down', 'Down', 'Down', 'Enter']);
      } else {
        if (id === 'security') expect(screen).toContain('$ /etc/init.d/iptables stop');
        spawnSync('tmux', ['send-keys', '-t', session, 'Enter']);
        // the approved step then runs: its commands reach the lab before the next question
        await waitFor(
          () => (tracesOf(id, state).length || id === 'preflight' ? true : undefined),
          `${id} to run after its approval`,
        );
      }
    }
    expect(seen).toHaveLength(5);
    const rc = await waitFor(
      () => (existsSync(join(dir, 'rc')) ? readFileSync(join(dir, 'rc'), 'utf8').trim() : undefined),
      'the run to end',
    );
    expect(rc).toBe('rc=5');
    expect(tracesOf('network', state)).toEqual([]);
    // the approved steps did run (their commands are in the lab's journals), the aborted one did not
    expect(tracesOf('security', state).some((t) => t.includes('/etc/init.d/iptables stop'))).toBe(true);
    const st = readState(state)!;
    for (const t of STEPS.find((s) => s.id === 'network')!.tasks) expect(st.tasks[t.id], t.id).toBeUndefined();
    const log = readFileSync(join(state, 'install.log'), 'utf8');
    expect(log).toMatch(/Approve step 5 of 20 \(network\)\?\n.*→ abort the install here/);
    expect(log).toContain('diff of /etc/sysconfig/network-scripts/ifcfg-bond0 on an-node01: refused (abort)');
    expect(log).toMatch(/==== ended: aborted \(exit 5\)/);
  }, 300_000);
});
