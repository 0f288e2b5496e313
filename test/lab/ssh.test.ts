import { describe, it, expect, beforeAll } from 'vitest';
import { world, run, networked } from './helpers.js';
import type { World } from '../../src/lab/world.js';

const NAMES = [
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
];

describe('ssh between lab nodes (the tutorial SSH step)', () => {
  let w: World;
  beforeAll(async () => {
    w = world();
    await networked(w);
  }, 60000);

  it('ssh-keygen prints the tutorial format and writes a real key pair', async () => {
    const n1 = w.nodes['an-node01'];
    const r = await run(n1, 'ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Generating public/private rsa key pair.',
      "Created directory '/root/.ssh'.",
      'Your identification has been saved in /root/.ssh/id_rsa.',
      'Your public key has been saved in /root/.ssh/id_rsa.pub.',
      'The key fingerprint is:',
    ]);
    expect(lines[5]).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2} root@an-node01\.alteeve\.ca$/);
    expect(lines[6]).toBe("The key's randomart image is:");
    expect(lines[7]).toBe('+--[ RSA 2047]----+');
    expect(lines[17]).toBe('+-----------------+');
    expect(lines.slice(8, 17).every((l) => /^\|.{17}\|$/.test(l))).toBe(true);
    const fp = lines[5].split(' ')[0];
    expect((await run(n1, 'ssh-keygen -l -f ~/.ssh/id_rsa')).out).toBe(`2047 ${fp} /root/.ssh/id_rsa.pub (RSA)\n`);
    expect((await run(n1, 'head -n 1 ~/.ssh/id_rsa; stat -c %a ~/.ssh/id_rsa ~/.ssh')).out).toBe(
      '-----BEGIN RSA PRIVATE KEY-----\n600\n700\n',
    );
    expect((await run(n1, 'cut -c1-32 ~/.ssh/id_rsa.pub')).out).toBe('ssh-rsa AAAAB3NzaC1yc2EAAAABIwAA\n');
    // Existing key: asks, and "no" from stdin keeps it.
    const again = await run(n1, 'ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa', 'n\n');
    expect(again.code).toBe(1);
    expect(again.out).toContain('/root/.ssh/id_rsa already exists.\nOverwrite (y/n)? ');
  }, 30000);

  it('refuses unknown host keys and missing authorized keys, like OpenSSH without a terminal', async () => {
    const n1 = w.nodes['an-node01'];
    const n2 = w.nodes['an-node02'];
    await run(n2, 'ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa');
    expect(await run(n1, 'ssh -o BatchMode=yes root@an-node02 "cat ~/.ssh/id_rsa.pub"')).toEqual({
      out: '',
      err: 'Host key verification failed.\r\n',
      code: 255,
    });
    const r = await run(n1, 'ssh -o StrictHostKeyChecking=no root@an-node02 "cat ~/.ssh/id_rsa.pub"');
    expect(r.err).toBe(
      "Warning: Permanently added 'an-node02,10.20.0.2' (RSA) to the list of known hosts.\r\nPermission denied (publickey,gssapi-keyex,gssapi-with-mic,password).\r\n",
    );
    expect(r.code).toBe(255);
    expect((await run(n1, 'cut -d" " -f1,2 ~/.ssh/known_hosts')).out).toBe('an-node02,10.20.0.2 ssh-rsa\n');
    // Now the key is known: BatchMode fails on authentication only.
    expect((await run(n1, 'ssh -o BatchMode=yes an-node02 true')).err).toBe(
      'Permission denied (publickey,gssapi-keyex,gssapi-with-mic,password).\r\n',
    );
    expect((await run(n1, 'ssh -o BatchMode=yes nosuchhost true')).err).toBe(
      'ssh: Could not resolve hostname nosuchhost: Name or service not known\r\n',
    );
  }, 30000);

  it('exchanges keys as the tutorial does, then reaches both nodes by every name without prompts', async () => {
    const n1 = w.nodes['an-node01'];
    const n2 = w.nodes['an-node02'];
    const a = await run(n1, 'rsync -av ~/.ssh/id_rsa.pub ~/.ssh/authorized_keys');
    expect(a.out.split('\n').slice(0, 2)).toEqual(['sending incremental file list', 'id_rsa.pub']);
    expect(a.out).toMatch(
      /\nsent \d+ bytes {2}received 31 bytes {2}\d+\.\d\d bytes\/sec\ntotal size is \d+ {2}speedup is 0\.\d\d\n$/,
    );
    // The lab has no terminal for the password: seed an-node02's authorized_keys from its own key first.
    await run(n2, 'cp ~/.ssh/id_rsa.pub ~/.ssh/authorized_keys');
    await run(n2, 'ssh -o StrictHostKeyChecking=no an-node01 true');
    expect((await run(n1, 'ssh root@an-node02 "cat ~/.ssh/id_rsa.pub"')).code).toBe(255);
    // an-node02 pushes its public key in; then an-node01 fetches and pushes the combined file.
    const push = await run(n2, 'cat ~/.ssh/id_rsa.pub | ssh an-node01 "cat >> ~/.ssh/authorized_keys"');
    expect(push.code).toBe(255); // not authorized yet on an-node01: denied
    const key2 = (await run(n2, 'cat ~/.ssh/id_rsa.pub')).out;
    n1.fs.appendFile('/root/.ssh/authorized_keys', key2);
    const r = await run(n1, 'rsync -av ~/.ssh/authorized_keys root@an-node02:/root/.ssh/');
    expect(r.code).toBe(255);
    // NOTE: stands in for the password login the tutorial uses for its first push.
    n2.fs.writeFile('/root/.ssh/authorized_keys', (await run(n1, 'cat ~/.ssh/id_rsa.pub')).out);
    const r2 = await run(n1, 'rsync -av ~/.ssh/authorized_keys root@an-node02:/root/.ssh/');
    expect(r2.code).toBe(0);
    expect(r2.out.split('\n').slice(0, 2)).toEqual(['sending incremental file list', 'authorized_keys']);
    expect((await run(n2, 'wc -l < ~/.ssh/authorized_keys')).out).toBe('2\n');

    // Populate known_hosts by every name (StrictHostKeyChecking=no stands in for typing "yes").
    const seen: string[] = [];
    for (const name of NAMES) {
      const s = await run(n1, `ssh -o StrictHostKeyChecking=no root@${name} hostname`);
      expect(s.code).toBe(0);
      seen.push(s.out.trim());
      if (s.err) expect(s.err).toMatch(/^Warning: Permanently added '[^']+' \(RSA\) to the list of known hosts\.\r\n$/);
    }
    expect(seen).toEqual([...Array(5).fill('an-node01.alteeve.ca'), ...Array(5).fill('an-node02.alteeve.ca')]);
    const kh = (await run(n1, "cut -d' ' -f1 ~/.ssh/known_hosts")).out.split('\n').filter(Boolean);
    expect(kh).toEqual([
      'an-node02,10.20.0.2',
      'an-node01,10.20.0.1',
      'an-node01.alteeve.ca',
      'an-node01.bcn',
      'an-node01.sn,10.10.0.1',
      'an-node01.ifn,10.255.0.1',
      'an-node02.alteeve.ca',
      'an-node02.bcn',
      'an-node02.sn,10.10.0.2',
      'an-node02.ifn,10.255.0.2',
    ]);
    // Copy known_hosts to the peer the tutorial's way, then batch mode works from both sides by every name.
    const pull = await run(n2, 'rsync -av root@an-node01:/root/.ssh/known_hosts ~/.ssh/');
    expect(pull.out.split('\n')[0]).toBe('receiving incremental file list');
    const again = await run(n2, 'rsync -av root@an-node01:/root/.ssh/known_hosts ~/.ssh/');
    expect(again.out).toMatch(
      /^receiving incremental file list\nsent 11 bytes {2}received 41 bytes {2}104\.00 bytes\/sec\ntotal size is \d+ {2}speedup is \d+\.\d\d\n$/,
    );
    for (const from of [n1, n2])
      for (const name of NAMES)
        expect(await run(from, `ssh -o BatchMode=yes ${name} "echo ok"`)).toEqual({ out: 'ok\n', err: '', code: 0 });
    // Exit codes and stdin pass through.
    expect((await run(n1, 'ssh an-node02 "exit 3"')).code).toBe(3);
    expect((await run(n1, 'echo piped | ssh an-node02 cat')).out).toBe('piped\n');
  }, 60000);

  it('a changed host key is refused loudly', async () => {
    const n1 = w.nodes['an-node01'];
    const n2 = w.nodes['an-node02'];
    const saved = n2.fs.readFile('/etc/ssh/ssh_host_rsa_key.pub');
    await run(n2, 'cp ~/.ssh/id_rsa.pub /etc/ssh/ssh_host_rsa_key.pub');
    const r = await run(n1, 'ssh -o BatchMode=yes an-node02.sn true');
    expect(r.code).toBe(255);
    expect(r.err).toContain('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!');
    expect(r.err).toMatch(/Offending key in \/root\/\.ssh\/known_hosts:9\r\n/);
    expect(r.err.endsWith('Host key verification failed.\r\n')).toBe(true);
    n2.fs.writeFile('/etc/ssh/ssh_host_rsa_key.pub', saved);
  }, 30000);

  it('needs the network: a dead SN bond or a stopped sshd is reported as OpenSSH does', async () => {
    const n1 = w.nodes['an-node01'];
    const n2 = w.nodes['an-node02'];
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth1', up: false });
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth4', up: false });
    expect((await run(n1, 'ssh -o BatchMode=yes an-node02.sn true')).err).toBe(
      'ssh: connect to host an-node02.sn port 22: No route to host\r\n',
    );
    expect((await run(n1, 'ssh -o BatchMode=yes an-node02.bcn true')).code).toBe(0);
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth1', up: true });
    expect((await run(n1, 'ssh -o BatchMode=yes an-node02.sn true')).code).toBe(0);
    await run(n2, 'service sshd stop');
    expect((await run(n1, 'ssh -o BatchMode=yes an-node02 true')).err).toBe(
      'ssh: connect to host an-node02 port 22: Connection refused\r\n',
    );
    expect(n2.reachable()).toBe(false);
    await run(n2, 'service sshd start');
    expect(n2.reachable()).toBe(true);
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth4', up: true });
  }, 30000);

  it('ssh-keyscan prints the host key lines', async () => {
    const n1 = w.nodes['an-node01'];
    const r = await run(n1, 'ssh-keyscan an-node02.bcn 2>/dev/null');
    const key = (await run(w.nodes['an-node02'], 'cat /etc/ssh/ssh_host_rsa_key.pub')).out.trim();
    expect(r.out).toBe(`an-node02.bcn ${key}\n`);
  }, 30000);
});
