import { describe, expect, it } from 'vitest';
import { approvalScreen, phraseMatches, wantColor, wrapLine } from '../../src/engine/approval.js';
import { previewStep, type PlannedRun } from '../../src/engine/step-preview.js';
import type { Step, TaskContext } from '../../src/engine/types.js';
import { planWithCaptured } from '../../src/engine/captured.js';
import { loadAnswers } from '../../src/plan/load.js';
import { SECRETS, T } from '../helpers/synthetic-steps.js';

// NOTE: with its NICs (demo.conf lists the MACs): a file holding a value not known yet is never shown as a diff.
const plan = planWithCaptured(loadAnswers('test/fixtures/other.anvil.yaml', { ...SECRETS }), {});
const [a, b] = plan.nodes;

/** A read-only context whose node holds `files`. */
function ctx(files: Record<string, string>): TaskContext {
  return { node: { readFile: async (p: string) => files[p] ?? null } } as unknown as TaskContext;
}

const step: Step = {
  id: 'demo',
  title: 'Demo step',
  doc: '',
  warnings: ['Mind the gap.'],
  ifSkipped: 'nothing works',
  tasks: [
    {
      id: 'demo.files',
      title: 'Write the files',
      on: 'both',
      kind: 'safe',
      disrupts: 'restarts the network',
      files: (_p, n) => [
        { path: '/etc/same.conf', template: T('lvm-stock.conf.ejs') },
        { path: '/etc/per-node.conf', template: T('demo.conf.ejs'), locals: { n } },
      ],
      commands: () => ['service demo restart'],
      verify: async () => ({ summary: 'ok' }),
    },
  ],
};

async function preview(lines = 0) {
  const long = Array.from({ length: lines }, (_, i) => `old line ${i}`).join('\n');
  const runs: PlannedRun[] = [a, b].map((n) => ({
    task: step.tasks[0],
    key: n.name,
    pn: n,
    reason: 'new',
    ctx: ctx({ '/etc/same.conf': `${long}\nstale\n`, '/etc/per-node.conf': 'x\n' }),
  }));
  return previewStep(step, plan, runs, 2, []);
}

describe('the approval screen', () => {
  it('shows warnings, a diff that is the same on both nodes once, per-node diffs, commands, disruptions and what skipping breaks', async () => {
    const s = approvalScreen(await preview(), plan, 3, 20, { color: false, maxLines: Infinity });
    expect(s.split('\n')[0]).toBe('━━ Step 3 of 20 · demo: Demo step');
    expect(s).toContain('⚠ Mind the gap.');
    expect(s).toContain(`/etc/same.conf on ${a.name} and ${b.name} (same on both): changed`);
    expect(s.match(/\/etc\/same\.conf on/g)).toHaveLength(1);
    expect(s).toContain(`/etc/per-node.conf on ${a.name}: changed`);
    expect(s).toContain(`/etc/per-node.conf on ${b.name}: changed`);
    expect(s).toContain('⚠ restarts the network');
    expect(s).toContain('      $ service demo restart');
    expect(s).toContain('2 task×node records of this step done earlier and unchanged');
    expect(s).toContain('If you skip this step: nothing works.');

    expect(s).not.toMatch(/\u001b\[/);
  });

  it('colours + and - lines only when asked to; NO_COLOR or a pipe means plain', async () => {
    const s = approvalScreen(await preview(), plan, 3, 20, { color: true, maxLines: Infinity });
    expect(s).toContain('\u001b[31m-stale\u001b[0m');
    expect(s).toMatch(/\u001b\[32m\+/);
    expect(wantColor(true, {})).toBe(true);
    expect(wantColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantColor(false, {})).toBe(false);
  });

  it('fits the terminal: diffs shortened, then a line per file, then a line per task; warnings and the question line stay', async () => {
    const p = await preview(200);
    const full = approvalScreen(p, plan, 3, 20, { color: false, maxLines: Infinity });
    expect(full.split('\n').length).toBeGreaterThan(200);
    const cut = approvalScreen(p, plan, 3, 20, { color: false, maxLines: 80 });
    expect(cut.split('\n').length).toBeLessThanOrEqual(74);
    expect(cut).toMatch(/… \d+ more lines: choose "page through the full diff"/);
    const brief = approvalScreen(p, plan, 3, 20, { color: false, maxLines: 30 });
    expect(brief.split('\n').length).toBeLessThanOrEqual(24);
    expect(brief).toContain(`/etc/per-node.conf: ${a.name} changed`);
    expect(brief).toContain('(diffs left out to fit the screen: choose "page through the full diff")');
    const sizes = Array.from({ length: 20 }, (_, i) =>
      approvalScreen(p, plan, 3, 20, { color: false, maxLines: 18 + i }),
    );
    const small = sizes.find((x) => x.includes('writes 3 files: /etc/same.conf, /etc/per-node.conf'));
    expect(small).toBeDefined();
    const tiny = approvalScreen(p, plan, 3, 20, { color: false, maxLines: 18 });
    expect(tiny.split('\n').length).toBeLessThanOrEqual(12);
    expect(tiny).toContain('writes 2 files (choose "page through the full diff")');
    expect(tiny).toContain('⚠ restarts the network');
    for (const s of [cut, brief, small!, tiny]) expect(s).toContain('⚠ Mind the gap.');
    for (const s of [cut, brief, small!, tiny]) expect(s.split('\n')[0]).toBe('━━ Step 3 of 20 · demo: Demo step');
  });

  it('at 80×24 the title and warnings stay, every line fits 80 columns, and no word is cut', async () => {
    const p = await preview(200);
    const long = {
      ...p,
      warnings: [...p.warnings, 'Losing access to your server is a very real possibility! '.repeat(4).trim()],
    };
    const s = approvalScreen(long, plan, 3, 20, { color: false, maxLines: 22, columns: 80 });
    const lines = s.split('\n');
    expect(lines.length).toBeLessThanOrEqual(16);
    expect(lines[0]).toBe('━━ Step 3 of 20 · demo: Demo step');
    expect(s).toContain('⚠ Mind the gap.');
    expect(s.replace(/\n +/g, ' ')).toContain(long.warnings[1]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('wrapLine breaks at spaces with a hanging indent, and only a word longer than the line is broken', () => {
    expect(wrapLine('    alpha beta gamma delta', 20)).toEqual(['    alpha beta gamma', '      delta']);
    expect(wrapLine('short', 20)).toEqual(['short']);
    expect(wrapLine(`x ${'y'.repeat(30)}`, 20)).toEqual(['x', `  ${'y'.repeat(18)}`, `  ${'y'.repeat(12)}`]);
    const colored = wrapLine(`\u001b[33m${'word '.repeat(10).trim()}\u001b[0m`, 24);
    expect(colored.map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''))).toEqual([
      'word word word word word',
      '  word word word word',
      '  word',
    ]);
  });

  it('a typed confirmation must name the node and the device exactly', () => {
    expect(phraseMatches(' an-node01   /dev/sda ', 'an-node01 /dev/sda')).toBe(true);
    expect(phraseMatches('an-node01', 'an-node01 /dev/sda')).toBe(false);
    expect(phraseMatches('an-node02 /dev/sda', 'an-node01 /dev/sda')).toBe(false);
    expect(phraseMatches('yes', 'an-node01 /dev/sda')).toBe(false);
  });
});
