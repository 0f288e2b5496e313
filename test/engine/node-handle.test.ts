import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupTarget, createNodeHandle } from '../../src/engine/node-handle.js';
import { Journal, parseJournal } from '../../src/state/journal.js';
import { derivePlan, MASK, secretValues } from '../../src/plan/derive.js';
import { CommandFailed } from '../../src/errors.js';
import { MemoryNode, MemoryTransport } from '../helpers/memory-transport.js';
import { SECRETS, tempDir, testAnswers } from '../helpers/synthetic-steps.js';

function setup() {
  const answers = testAnswers();
  const plan = derivePlan(answers);
  const node = new MemoryNode('kvm-a');
  const transport = new MemoryTransport(node);
  const file = join(tempDir(), 'journal.jsonl');
  const secrets = secretValues(answers);
  const journal = new Journal(file, secrets);
  const h = createNodeHandle({ plan: plan.nodes[0], transport, journal, task: 'demo.task', secrets });
  return { node, transport, h, file };
}

describe('node handle', () => {
  it('maps FileSpec.backup to where the original goes', () => {
    expect(backupTarget('/etc/sysconfig/network-scripts/ifcfg-eth0', 'root-backups')).toBe('/root/backups/ifcfg-eth0');
    expect(backupTarget('/etc/hosts', 'orig')).toBe('/etc/hosts.orig');
    // a file the tutorial creates ('none') is still kept as .orig should it exist already
    expect(backupTarget('/etc/hosts', 'none')).toBe('/etc/hosts.orig');
    expect(backupTarget('/etc/hosts')).toBe('/etc/hosts.orig');
  });

  it('writes with a backup of the first original only, creating /root/backups once, and journals each write', async () => {
    const { node, h, file } = setup();
    node.files.set('/etc/ntp.conf', { data: 'stock\n', mode: 0o644 });
    node.files.set('/etc/hosts', { data: 'hosts stock\n', mode: 0o644 });
    await h.writeFile('/etc/ntp.conf', 'one\n', { backup: 'root-backups' });
    await h.writeFile('/etc/ntp.conf', 'two\n', { backup: 'root-backups', mode: 0o600 });
    await h.writeFile('/etc/hosts', 'new\n', { backup: 'orig' });
    await h.writeFile('/etc/new.conf', 'x\n');
    node.files.set('/etc/operator.conf', { data: 'mine\n', mode: 0o644 });
    await h.writeFile('/etc/operator.conf', 'ours\n', { backup: 'none' });
    expect(node.files.has('/etc/new.conf.orig')).toBe(false);
    expect(node.files.get('/etc/operator.conf.orig')!.data).toBe('mine\n');
    expect(node.files.get('/root/backups/ntp.conf')!.data).toBe('stock\n');
    expect(node.files.get('/etc/ntp.conf')).toEqual({ data: 'two\n', mode: 0o600 });
    expect(node.files.get('/etc/hosts.orig')!.data).toBe('hosts stock\n');
    expect(node.commands).toEqual(['mkdir -p /root/backups']);
    const writes = parseJournal(readFileSync(file, 'utf8')).filter((e) => e.kind === 'write');
    expect(writes.map((w) => [w.path, w.backup, w.bytes])).toEqual([
      ['/etc/ntp.conf', '/root/backups/ntp.conf', 4],
      ['/etc/ntp.conf', '/root/backups/ntp.conf', 4],
      ['/etc/hosts', '/etc/hosts.orig', 4],
      ['/etc/new.conf', '/etc/new.conf.orig', 2],
      ['/etc/operator.conf', '/etc/operator.conf.orig', 5],
    ]);
  });

  it('sh throws CommandFailed with secrets masked; stdin reaches the node but never the journal', async () => {
    const { node, h, file } = setup();
    node.on(/^passwd --stdin ricci$/, (_m, _n, stdin) =>
      stdin === SECRETS.RICCI_PW + '\n' ? { stdout: 'ok' } : { code: 1 },
    );
    node.on(/^fail (.*)$/, (m) => ({ code: 3, stderr: `bad password ${m[1]}` }));
    expect(await h.sh('passwd --stdin ricci', { stdin: SECRETS.RICCI_PW + '\n' })).toBe('ok');
    const err = await h.sh(`fail ${SECRETS.ILO_PW}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailed);
    expect((err as CommandFailed).cmd).toBe(`fail ${MASK}`);
    expect((err as CommandFailed).message).toContain(`bad password ${MASK}`);
    expect((err as CommandFailed).message).not.toContain(SECRETS.ILO_PW);
    const r = await h.exec('false');
    expect(r.code).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRETS.RICCI_PW);
    expect(text).not.toContain(SECRETS.ILO_PW);
    const e = parseJournal(text);
    expect(e.map((x) => [x.node, x.task, x.cmd, x.code])).toEqual([
      ['kvm-a', 'demo.task', 'passwd --stdin ricci', 0],
      ['kvm-a', 'demo.task', `fail ${MASK}`, 3],
      ['kvm-a', 'demo.task', 'false', 1],
    ]);
    expect(e.every((x) => !('stdin' in x))).toBe(true);
  });

  it('journals a transport failure and rethrows it; readFile decodes; waitForReconnect reconnects', async () => {
    const { node, h, file } = setup();
    node.inject = () => {
      throw new Error('connection lost');
    };
    await expect(h.exec('uptime')).rejects.toThrow('connection lost');
    node.inject = undefined;
    expect(parseJournal(readFileSync(file, 'utf8'))[0]).toMatchObject({ cmd: 'uptime', error: 'connection lost' });
    expect(await h.readFile('/nope')).toBeNull();
    node.files.set('/etc/x', { data: 'é\n', mode: 0o644 });
    expect(await h.readFile('/etc/x')).toBe('é\n');
    await h.waitForReconnect!(1000);
    expect(node.reconnects).toBe(1);
  });
});
