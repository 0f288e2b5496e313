/**
 * `install` through the default transport factory: real SSH (NodeSession) to a loopback OpenSSH
 * sshd standing in for both nodes. Checks that files, backups, commands, the journal and resume
 * work over the real protocol, not only over the in-memory transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parse } from 'yaml';
import { sshdUnavailable, startLocalSshd, type LocalSshd } from '../../src/bench/local-sshd.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import { install } from '../../src/commands/install.js';
import { resume } from '../../src/commands/resume.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { readState } from '../../src/state/store.js';
import { parseJournal } from '../../src/state/journal.js';
import { sh } from '../../src/engine/shell.js';
import type { Step } from '../../src/engine/types.js';
import { SECRETS, T, tempDir } from '../helpers/synthetic-steps.js';

const why = sshdUnavailable();
if (why) console.warn(`SKIP install over SSH: ${why}`);

function steps(root: string): Step[] {
  const conf = (name: string) => join(root, name, 'demo.conf');
  return [
    {
      id: 'ssh',
      title: 'Over SSH',
      doc: '',
      tasks: [
        {
          id: 'ssh.conf',
          title: 'Write demo.conf',
          on: 'both',
          kind: 'safe',
          files: (_p, n) => [{ path: conf(n.name), template: T('demo.conf.ejs'), backup: 'orig', mode: 0o600 }],
          commands: (p, n) => [sh`grep -c ${`cluster = ${p.cluster.name}`} ${conf(n.name)}`],
          async verify(ctx) {
            const f = await ctx.node.readFile(conf(ctx.node.plan.name));
            if (!f?.includes(`node = ${ctx.node.plan.fqdn}`)) throw new Error('demo.conf not written');
            return { summary: 'demo.conf written' };
          },
        },
        {
          id: 'ssh.once',
          title: 'Make a folder once',
          on: 'node1',
          kind: 'once',
          commands: () => [sh`mkdir ${join(root, 'made')}`],
          done: async (ctx) => (await ctx.node.exec(sh`test -d ${join(root, 'made')}`)).code === 0,
          async verify(ctx) {
            await ctx.node.sh(sh`test -d ${join(root, 'made')}`);
            return { summary: 'made' };
          },
        },
      ],
    },
  ];
}

describe.skipIf(!!why)('install over real SSH (loopback sshd as both nodes)', () => {
  let sshd: LocalSshd;
  beforeAll(async () => {
    sshd = await startLocalSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('writes, runs, journals and resumes through NodeSession', async () => {
    const root = tempDir('anvil-ssh-nodes-');
    for (const n of ['kvm-a', 'kvm-b']) mkdirSync(join(root, n));
    writeFileSync(join(root, 'kvm-a', 'demo.conf'), 'original\n');
    const a = parse(readFileSync('test/fixtures/other.anvil.yaml', 'utf8'));
    for (const n of a.nodes)
      n.ssh = {
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        privateKey: sshd.clientKeyPath,
        hostKey: fingerprint(sshd.hostKeyBlob()),
      };
    const answers = join(tempDir(), 'ssh.anvil.yaml');
    writeFileSync(answers, stringify(a));
    const state = tempDir();
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      const deps = { steps: steps(root), env: { ...SECRETS }, renderer: 'silent' as const, signals: false };
      const r = await install({ answers, state, yes: true }, deps);
      expect(r.outcome).toBe('complete');
      expect(readFileSync(join(root, 'kvm-b', 'demo.conf'), 'utf8')).toContain(`ricci_password = ${SECRETS.RICCI_PW}`);
      expect(readFileSync(join(root, 'kvm-a', 'demo.conf.orig'), 'utf8')).toBe('original\n');
      const j = parseJournal(readFileSync(join(state, 'journal.jsonl'), 'utf8'));
      expect(
        j.filter((e) => e.kind === 'exec' && e.cmd?.startsWith('grep -c')).map((e) => [e.node, e.code, e.stdout]),
      ).toEqual(
        expect.arrayContaining([
          ['kvm-a', 0, '1\n'],
          ['kvm-b', 0, '1\n'],
        ]),
      );
      expect(j.filter((e) => e.kind === 'write')).toHaveLength(2);
      expect(JSON.stringify(j)).not.toContain(SECRETS.RICCI_PW);
      expect(readState(state)!.tasks['ssh.once']['kvm-a']).toMatchObject({ status: 'done', runs: 1 });
      // resume on a finished install: nothing runs again
      const r2 = await resume({ state, yes: true }, deps);
      expect(r2).toMatchObject({ outcome: 'complete', executed: [] });
      // re-opened by hand: the once task consults its probe and does not run
      const s = readState(state)!;
      s.tasks['ssh.once']['kvm-a'].status = 'failed';
      writeFileSync(join(state, 'state.json'), JSON.stringify(s));
      const r3 = await resume({ state, yes: true }, deps);
      expect(r3).toMatchObject({ outcome: 'complete', executed: [] });
      expect(readState(state)!.tasks['ssh.once']['kvm-a']).toMatchObject({ status: 'done', runs: 1 });
    } finally {
      setOutput(prev);
    }
  });
});
