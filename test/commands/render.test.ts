import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS } from '../../steps/index.js';
import { finalFiles } from '../../src/engine/walk.js';
import { renderCommand } from '../../src/commands/render.js';
import { AnvilError } from '../../src/errors.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { runCli } from './run-cli.js';
import { SAMPLE_STEPS } from '../report/sample-steps.js';
import { plans, OTHER, OTHER_ENV, TUTORIAL } from '../report/helpers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-render-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function quiet<T>(fn: () => T): { value: T; out: string; err: string } {
  const cap = captureOutput();
  const prev = setOutput(cap);
  try {
    return { value: fn(), out: cap.text(), err: cap.errText() };
  } finally {
    setOutput(prev);
  }
}

describe('anvil-install render', () => {
  it('writes DIR/<node>/<path> for every final file of STEPS, with its content and mode', async () => {
    const out = join(tmp(), 'r');
    const { error, out: text } = await runCli(['render', '--answers', TUTORIAL, '--out', out]);
    expect(error).toBeUndefined();
    const { plan } = plans(TUTORIAL);
    const want = finalFiles(plan, STEPS);
    for (const [node, files] of want) {
      for (const [path, f] of files) {
        const local = join(out, node, path);
        expect(readFileSync(local, 'utf8'), local).toBe(f.content);
        expect(statSync(local).mode & 0o777, local).toBe(f.spec.secret ? 0o600 : (f.spec.mode ?? 0o644));
      }
      expect(text).toContain(`${out}/${node}/  ${files.size} file`);
    }
    // hosts.ts is finished: /etc/hosts is there on both nodes.
    expect(readFileSync(join(out, 'an-node01/etc/hosts'), 'utf8')).toContain(
      '10.20.0.2\tan-node02 an-node02.bcn an-node02.alteeve.ca',
    );
  });

  it('renders with the real passwords, writes such files 0600 and warns', () => {
    const out = tmp();
    const { value, err } = quiet(() => renderCommand({ answers: OTHER, out }, SAMPLE_STEPS, OTHER_ENV));
    const conf = join(out, 'kvm-a/etc/cluster/cluster.conf');
    expect(readFileSync(conf, 'utf8')).toContain('passwd="Zq8-ilo-Secret"');
    expect(statSync(conf).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, 'kvm-b/etc/cluster/cluster.conf'))).toBe(false);
    expect(statSync(join(out, 'kvm-b/etc/hosts')).mode & 0o777).toBe(0o644);
    expect(value.map((f) => `${f.node}${f.path}`)).toEqual([
      'kvm-a/etc/hosts',
      'kvm-a/etc/cluster/cluster.conf',
      'kvm-b/etc/hosts',
    ]);
    expect(err).toContain(`${out} holds passwords in clear (kvm-a/etc/cluster/cluster.conf; written mode 0600)`);
  });

  it('keeps the last write of a path', () => {
    const out = tmp();
    const twice = [
      ...SAMPLE_STEPS,
      {
        id: 'again',
        title: 'again',
        doc: '',
        tasks: [
          {
            id: 'again.hosts',
            title: 'hosts again',
            on: 'node2' as const,
            kind: 'safe' as const,
            files: () => [
              { path: '/etc/hosts', template: 'etc/hosts.ejs', edit: (c: string) => `${c}# second write\n` },
            ],
          },
        ],
      },
    ];
    quiet(() => renderCommand({ answers: OTHER, out }, twice, OTHER_ENV));
    expect(readFileSync(join(out, 'kvm-b/etc/hosts'), 'utf8')).toMatch(/# second write\n$/);
    expect(readFileSync(join(out, 'kvm-a/etc/hosts'), 'utf8')).not.toContain('# second write');
  });

  it('refuses a non-empty folder unless --force, and never deletes other files', async () => {
    const out = tmp();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const { error } = await runCli(['render', '--answers', TUTORIAL, '--out', out]);
    expect(error).toBeInstanceOf(AnvilError);
    expect((error as AnvilError).message).toBe(`${out} is not empty`);
    const forced = await runCli(['render', '--answers', TUTORIAL, '--out', out, '--force']);
    expect(forced.error).toBeUndefined();
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(out, 'an-node02/etc/hosts'))).toBe(true);
  });

  it('has help with an example', async () => {
    const { out } = await runCli(['render', '--help']);
    expect(out).toContain('--out <dir>');
    expect(out).toContain('$ anvil-install render --answers anvil.yaml --out rendered');
  });
});
