import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  sshKeys,
  mergeAuthorizedKeys,
  mergeKnownHosts,
  knownHostsPatterns,
  fingerprint,
} from '../../steps/ssh-keys.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

const HAVE_KEYGEN = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT';
  }
})();
if (!HAVE_KEYGEN)
  console.warn('ssh-keys.test: ssh-keygen not installed; skipping the fingerprint comparison with OpenSSH');

const task = (id: string) => sshKeys.tasks.find((t) => t.id === id)!;
const p = tutorialPlan();
const [n1, n2] = p.nodes;

// The tutorial's an-node01 public key (unwrapped); an-node02's is made up.
const PUB1 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQBs+CsWeKegqmtneZcLDvHV4QT1n+ajj98gkmjoLcIFW5g/VFRLpSMMkwkQBgGDkmKPvYFa5OolL6qBQSAN1NpP8zET+1lZr4OFg/TZTuA8QnhNeh6VmU2hSoyJfEkKJ6TVYg4s1rsbbTZPLdCDe9CMn/iI824WUu2wA8RwhF2WTqqTrWTW4h8tYK9Y4eT4IYMXiYZ8+eQfzHyMaNxvUcI1Z8heMn/CEnrA67ja7Czi/ljYnw0I3MXy9d2ANYjYahBLF2+ok19NS9tkFHDlcZTh0gTQ4vV5fksgdJjsWl5l/aLjnSRfx2pQrMl3w8U7JBpr0PWJPIuzd4q47+KBI1A9 root@an-node01.alteeve.ca';
const PUB2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQBnode02keyAAAA root@an-node02.alteeve.ca';
const HOST1 = 'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEhost1key= \n';
const HOST2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEhost2key=\n';
const OPERATOR = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIoperator operator@workstation';

function pair() {
  const a = new FakeNode(n1, {
    '/root/.ssh/id_rsa.pub': PUB1 + '\n',
    '/etc/ssh/ssh_host_rsa_key.pub': HOST1,
    '/root/.ssh/authorized_keys': OPERATOR + '\n',
  });
  const b = new FakeNode(n2, { '/root/.ssh/id_rsa.pub': PUB2 + '\n', '/etc/ssh/ssh_host_rsa_key.pub': HOST2 });
  return { a, b };
}

describe('ssh-keys.keygen', () => {
  it("runs the tutorial's command once, guarded by a done probe", async () => {
    const t = task('ssh-keys.keygen');
    expect(t.kind).toBe('once');
    expect(t.commands!(p, n1)).toEqual(['ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa']);
    const node = new FakeNode(n1).on('test -f /root/.ssh/id_rsa && test -f /root/.ssh/id_rsa.pub', { code: 1 });
    expect(await t.done!(fakeContext(p, node, node))).toBe(false);
    node.on('test -f /root/.ssh/id_rsa && test -f /root/.ssh/id_rsa.pub', { code: 0 });
    expect(await t.done!(fakeContext(p, node, node))).toBe(true);
  });

  it('verify: an RSA key with a private file of mode 600', async () => {
    const t = task('ssh-keys.keygen');
    const node = new FakeNode(n1, { '/root/.ssh/id_rsa.pub': PUB1 })
      .on(
        'ssh-keygen -l -f /root/.ssh/id_rsa',
        '2047 4a:52:a1:c7:60:d5:e8:6d:c4:75:20:dd:62:2b:86:c5 /root/.ssh/id_rsa.pub (RSA)\n',
      )
      .on('stat -c %a /root/.ssh/id_rsa', '600\n');
    expect((await t.verify!(fakeContext(p, node, node))).summary).toBe(
      '2047 4a:52:a1:c7:60:d5:e8:6d:c4:75:20:dd:62:2b:86:c5 /root/.ssh/id_rsa.pub (RSA)',
    );
    node.on('stat -c %a /root/.ssh/id_rsa', '644\n');
    await expect(t.verify!(fakeContext(p, node, node))).rejects.toThrow(
      'mode 600 (never group or world readable); saw mode 644',
    );
  });
});

describe('ssh-keys.authorize', () => {
  it("puts both nodes' keys in each node's authorized_keys over the trusted sessions, keeping other keys", async () => {
    const { a, b } = pair();
    await runTask(task('ssh-keys.authorize'), fakeContext(p, a, b));
    await runTask(task('ssh-keys.authorize'), fakeContext(p, b, a));
    expect(a.files.get('/root/.ssh/authorized_keys')).toBe([OPERATOR, PUB1, PUB2].join('\n') + '\n');
    expect(b.files.get('/root/.ssh/authorized_keys')).toBe([PUB2, PUB1].join('\n') + '\n');
    expect(a.modes.get('/root/.ssh/authorized_keys')).toBe(0o600);
    // never ran an ssh/rsync between the nodes (no password prompts)
    expect([...a.commands, ...b.commands].filter((c) => /ssh |rsync/.test(c))).toEqual([]);
    await task('ssh-keys.authorize').verify!(fakeContext(p, a, b));
    // a re-run changes nothing
    a.on('chmod 600 /root/.ssh/authorized_keys', '');
    await runTask(task('ssh-keys.authorize'), fakeContext(p, a, b));
    expect(a.files.get('/root/.ssh/authorized_keys')).toBe([OPERATOR, PUB1, PUB2].join('\n') + '\n');
  });

  it('verify names the node whose key is missing', async () => {
    const { a, b } = pair();
    a.files.set('/root/.ssh/authorized_keys', PUB1 + '\n');
    await expect(task('ssh-keys.authorize').verify!(fakeContext(p, a, b))).rejects.toThrow("missing an-node02's key");
  });

  it('merges without duplicating a key that carries options or another comment', () => {
    const cur = `from="10.20.0.0/16" ${PUB1.replace('root@an-node01.alteeve.ca', 'old-comment')}\n`;
    expect(mergeAuthorizedKeys(cur, [PUB1, PUB2]).split('\n').filter(Boolean)).toHaveLength(2);
  });
});

describe('ssh-keys.known-hosts', () => {
  it('writes every name and address of both nodes with host keys read over the trusted sessions', async () => {
    const { a, b } = pair();
    a.files.set('/root/.ssh/known_hosts', 'an-node02.sn,10.10.0.2 ssh-rsa STALEKEY\nother-host ssh-rsa OTHER\n');
    const ctx = fakeContext(p, a, b);
    await runTask(task('ssh-keys.known-hosts'), ctx);
    expect(a.files.get('/root/.ssh/known_hosts')).toBe(
      [
        'other-host ssh-rsa OTHER',
        'an-node01,an-node01.bcn,an-node01.alteeve.ca,10.20.0.1,an-node01.sn,10.10.0.1,an-node01.ifn,10.255.0.1 ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEhost1key=',
        'an-node02,an-node02.bcn,an-node02.alteeve.ca,10.20.0.2,an-node02.sn,10.10.0.2,an-node02.ifn,10.255.0.2 ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEhost2key=',
      ].join('\n') + '\n',
    );
    expect(ctx.logs.join('\n')).toContain(`an-node02 host key ${fingerprint(HOST2)}`);
    expect(a.commands.filter((c) => /keyscan/.test(c))).toEqual([]);
  });

  it('verify: from each node, BatchMode ssh to every name of both nodes, answering as the right node', async () => {
    const { a, b } = pair();
    const seen: string[] = [];
    a.on(/^ssh -o BatchMode=yes -o ConnectTimeout=10 root@(\S+) uname -n$/, (_c, m) => {
      seen.push(m[1]);
      return `${m[1].startsWith('an-node01') ? n1.fqdn : n2.fqdn}\n`;
    });
    const ev = await task('ssh-keys.known-hosts').verify!(fakeContext(p, a, b));
    expect(ev.summary).toBe('10 names reached from an-node01 without password or prompt');
    expect(seen).toEqual([
      'an-node01',
      'an-node01.alteeve.ca',
      'an-node01.bcn',
      'an-node01.sn',
      'an-node01.ifn',
      'an-node02',
      'an-node02.alteeve.ca',
      'an-node02.bcn',
      'an-node02.sn',
      'an-node02.ifn',
    ]);
    a.on('ssh -o BatchMode=yes -o ConnectTimeout=10 root@an-node02.sn uname -n', {
      code: 255,
      stderr: 'Host key verification failed.\r\n',
    });
    a.on('ssh -o BatchMode=yes -o ConnectTimeout=10 root@an-node02.ifn uname -n', 'an-node01.alteeve.ca\n');
    await expect(task('ssh-keys.known-hosts').verify!(fakeContext(p, a, b))).rejects.toThrow(
      'root@an-node02.sn: Host key verification failed.; root@an-node02.ifn answered as an-node01.alteeve.ca, expected an-node02.alteeve.ca',
    );
  });

  it('drops stale lines for our names (also [host]:port forms) and keeps comments', () => {
    const out = mergeKnownHosts('# c\n[an-node01]:22 ssh-rsa OLD\n', [
      { patterns: knownHostsPatterns(n1), key: 'ssh-rsa NEW x' },
    ]);
    expect(out).toBe(
      '# c\nan-node01,an-node01.bcn,an-node01.alteeve.ca,10.20.0.1,an-node01.sn,10.10.0.1,an-node01.ifn,10.255.0.1 ssh-rsa NEW\n',
    );
  });

  it.skipIf(!HAVE_KEYGEN)('fingerprints exactly like ssh-keygen -l (SHA256)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-fp-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'k')]);
      const pub = readFileSync(join(dir, 'k.pub'), 'utf8');
      const real = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], {
        encoding: 'utf8',
      }).split(' ')[1];
      expect(fingerprint(pub)).toBe(real);
      expect(fingerprint(HOST1)).not.toBe(fingerprint(HOST2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
