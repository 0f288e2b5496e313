/**
 * `install … | tee out.txt` in a real terminal (tmux): the questions are asked on the terminal,
 * answered there, and the pipe gets the progress and the summary, not the question frames.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli-process.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('SKIP tee-terminal: no tmux (apt-get install tmux)');
const session = `anvil-tee-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'anvil-tee-'));
afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
  rmSync(dir, { recursive: true, force: true });
});

const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
async function waitFor(what: () => boolean, why: string): Promise<void> {
  // NOTE: a generous deadline for a loaded machine; nothing is timed, only awaited.
  for (const end = Date.now() + 180_000; !what();) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${why}; screen:\n${pane()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!hasTmux)('install piped through tee in a terminal', () => {
  it('asks on the terminal; the pipe gets the progress and the summary', async () => {
    const state = join(dir, 'st');
    const cmd = `cd ${ROOT} && env -u CI NO_COLOR=1 ${process.execPath} ${BIN} install --lab --answers examples/tutorial.anvil.yaml --state ${state} --to security | tee ${dir}/out.txt; echo "rc=\${PIPESTATUS[0]}" > ${dir}/rc; sleep 600`;
    expect(
      spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '50', 'bash', '-c', cmd]).status,
    ).toBe(0);
    // every question (a step's approval, a file whose diff was known only later) gets Enter on its
    // first choice ("approve this step" / "approve"), once: a question is known by its last line
    const answered = new Set<string>();
    await waitFor(() => {
      const s = pane();
      const q = s
        .split('\n')
        .reverse()
        .find((l) => /(Approve step \d+ of \d+ \([\w-]+\)|write \S+ \(\+\d+ -\d+\))\?/.test(l));
      if (q && /▸ approve/.test(s) && !answered.has(q.trim())) {
        answered.add(q.trim());
        spawnSync('tmux', ['send-keys', '-t', session, 'Enter']);
      }
      return existsSync(join(dir, 'rc'));
    }, 'the run to end');
    expect(readFileSync(join(dir, 'rc'), 'utf8').trim()).toBe('rc=0');
    expect(
      [...answered].some((q) => q.includes('Approve step 3 of 20 (security)?')),
      [...answered].join('\n'),
    ).toBe(true);
    const piped = readFileSync(join(dir, 'out.txt'), 'utf8');
    expect(piped).toContain('✔ every selected step is done');
    expect(piped).not.toMatch(/▸ approve|Trust it\?|Approve step/);
    const log = readFileSync(join(state, 'install.log'), 'utf8');
    expect(log).toContain('diff of /etc/selinux/config on an-node01: approved');
    expect(log).toContain('diff of /etc/selinux/config on an-node02: approved');
  }, 240_000);
});
