/**
 * SSH as operators use it, against real OpenSSH servers on 127.0.0.1: ~/.ssh/config (HostName,
 * User, Port, IdentityFile, ProxyJump through a bastion), the ssh-agent, default identities, an
 * encrypted key (passphrase asked once), the operator's own known_hosts (hashed names).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { startLocalSshd, type LocalSshd } from '../../src/bench/local-sshd.js';
import { NodeSession } from '../../src/remote/node-session.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import { sshConfigFor, parseProxyJump } from '../../src/remote/ssh-config.js';
import { resolveTarget } from '../../src/remote/ssh-target.js';
import { forgetIdentities } from '../../src/remote/identities.js';
import { install, nodeLabel } from '../../src/commands/install.js';
import { FakePrompter } from '../../src/engine/prompts.js';
import { captureOutput, setOutput } from '../../src/output.js';
import type { Step } from '../../src/engine/types.js';
import { noSshd, removeTempStates, tempState } from './sshd-fixture.js';
import { SECRETS } from '../helpers/synthetic-steps.js';

function keygen(path: string, passphrase = ''): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'anvil-test', '-f', path], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** `ssh -G` as OpenSSH resolves it (the reference for the parser). */
function sshG(config: string, host: string): Record<string, string> {
  const r = spawnSync('ssh', ['-G', '-F', config, host], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const l of r.stdout.split('\n')) {
    const [k, ...v] = l.split(' ');
    if (k && !(k in out)) out[k] = v.join(' ');
  }
  return out;
}

describe('~/.ssh/config is read as ssh reads it', () => {
  const home = tempState();
  const config = join(home, '.ssh', 'config');
  mkdirSync(join(home, '.ssh'));
  writeFileSync(
    config,
    [
      '# site defaults last, as ssh_config(5) advises',
      'Host an-node01 an-node02',
      '    User admin',
      '    ProxyJump jumper@bastion.example.org:2222',
      'Host an-node01',
      '    HostName 10.20.0.1',
      '    Port 2201',
      '    IdentityFile ~/.ssh/anvil_%h',
      '    User ignored-second-value',
      'Host an-node0? !an-node02',
      '    Port 9999',
      'Host=bastion.example.org',
      '    IdentitiesOnly yes',
      'Match exec "false"',
      '    User never',
      'Host *',
      '    User fallback',
      '    IdentityFile ~/.ssh/site_key',
      '',
    ].join('\n'),
  );
  const hasSsh = spawnSync('ssh', ['-V']).status === 0;

  it.each(['an-node01', 'an-node02', 'an-node03', 'bastion.example.org', 'other'])(
    '%s: same HostName, User, Port and ProxyJump as `ssh -G`',
    (host) => {
      const mine = sshConfigFor(host, { file: config, home });
      if (!hasSsh) return;
      const ref = sshG(config, host);
      expect(mine.hostName ?? host).toBe(ref.hostname);
      expect(mine.user ?? 'fallback').toBe(ref.user);
      expect(String(mine.port ?? 22)).toBe(ref.port);
      expect(mine.proxyJump).toBe(ref.proxyjump);
    },
  );

  it('IdentityFile accumulates with ~ and %h expanded; the route puts the answers first and finds the bastion', () => {
    expect(sshConfigFor('an-node01', { file: config, home }).identityFiles).toEqual([
      join(home, '.ssh/anvil_10.20.0.1'),
      join(home, '.ssh/site_key'),
    ]);
    const t = resolveTarget('an-node01', { host: '', port: 22, user: 'root' }, { file: config, home });
    expect(t).toMatchObject({ host: '10.20.0.1', port: 2201, user: 'admin', agent: true });
    expect(t.jumps).toEqual([
      {
        alias: 'bastion.example.org',
        host: 'bastion.example.org',
        port: 2222,
        user: 'jumper',
        identityFiles: [join(home, '.ssh/site_key')],
        agent: false,
      },
    ]);
    // values written in the answers win over the config
    expect(
      resolveTarget('an-node01', { host: '', port: 2022, user: 'ops', privateKey: '/k' }, { file: config, home }),
    ).toMatchObject({
      port: 2022,
      user: 'ops',
      identityFiles: ['/k', join(home, '.ssh/anvil_10.20.0.1'), join(home, '.ssh/site_key')],
    });
    expect(parseProxyJump('a@b:1,ssh://c@[::1]:2,d')).toEqual([
      { user: 'a', host: 'b', port: 1 },
      { user: 'c', host: '::1', port: 2 },
      { host: 'd' },
    ]);
    expect(nodeLabel('an-node01', '10.20.0.1')).toBe('an-node01 (10.20.0.1)');
    expect(nodeLabel('an-node01', '127.0.0.1', 2222)).toBe('an-node01 (127.0.0.1:2222)');
  });
});

describe.skipIf(!!noSshd)('logging in as ssh does (real sshd)', () => {
  let node: LocalSshd;
  let bastion: LocalSshd;
  beforeAll(async () => {
    [node, bastion] = await Promise.all([startLocalSshd(), startLocalSshd({ logLevel: 'DEBUG1' })]);
  });
  afterAll(async () => {
    await Promise.all([node?.stop(), bastion?.stop()]);
    removeTempStates();
  });

  it('install through ~/.ssh/config: node names as aliases, a bastion by ProxyJump, a default identity', async () => {
    const home = tempState();
    mkdirSync(join(home, '.ssh'));
    // NOTE: no IdentityFile anywhere: the key is found as OpenSSH's default ~/.ssh/id_ed25519.
    copyFileSync(node.clientKeyPath, join(home, '.ssh', 'id_ed25519'));
    appendFileSync(join(bastion.dir, 'authorized_keys'), readFileSync(node.clientKeyPath + '.pub'));
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host kvm-a kvm-b\n  HostName 127.0.0.1\n  Port ${node.port}\n  User ${node.user}\n  ProxyJump jump\nHost jump\n  HostName ${bastion.host}\n  Port ${bastion.port}\n  User ${bastion.user}\n`,
    );
    // both hosts' keys known to the operator, hashed as HashKnownHosts writes them
    const hashed = (pattern: string, line: string) => {
      const salt = randomBytes(20);
      return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(pattern).digest('base64')} ${line}\n`;
    };
    writeFileSync(
      join(home, '.ssh', 'known_hosts'),
      hashed(`[127.0.0.1]:${node.port}`, node.hostKeyLine()) +
        hashed(`[127.0.0.1]:${bastion.port}`, bastion.hostKeyLine()),
    );
    const root = tempState();
    const a = parse(readFileSync('test/fixtures/other.anvil.yaml', 'utf8'));
    for (const n of a.nodes) n.ssh = {};
    const answers = join(tempState(), 'ssh.anvil.yaml');
    writeFileSync(answers, stringify(a));
    const steps: Step[] = [
      {
        id: 'ssh',
        title: 'Over SSH',
        doc: '',
        tasks: [
          {
            id: 'ssh.touch',
            title: 'touch',
            on: 'each',
            kind: 'safe',
            commands: (_p, n) => [`touch ${join(root, n.name)}`],
            verify: async () => ({ summary: 'ok' }),
          },
        ],
      },
    ];
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      const r = await install(
        { answers, state: tempState(), yes: true },
        { steps, env: { ...SECRETS }, renderer: 'silent', signals: false, sshConfig: { home } },
      );
      expect(r.outcome).toBe('complete');
    } finally {
      setOutput(prev);
    }
    expect(readFileSync(join(root, 'kvm-a'), 'utf8')).toBe('');
    expect(readFileSync(join(root, 'kvm-b'), 'utf8')).toBe('');
    // the bastion forwarded the connections to the node
    expect(bastion.log()).toMatch(
      new RegExp(`direct_tcpip: originator .*, target 127\\.0\\.0\\.1 port ${node.port}\\b`),
    );
  });

  it('first contact in a terminal: the host-key question names the node and its address; the answer is kept for the next run', async () => {
    const home = tempState();
    mkdirSync(join(home, '.ssh'));
    copyFileSync(node.clientKeyPath, join(home, '.ssh', 'id_ed25519'));
    const a = parse(readFileSync('test/fixtures/other.anvil.yaml', 'utf8'));
    for (const n of a.nodes) n.ssh = { host: node.host, port: node.port, user: node.user };
    const answers = join(tempState(), 'ssh.anvil.yaml');
    writeFileSync(answers, stringify(a));
    const steps: Step[] = [
      {
        id: 'ssh',
        title: 'Over SSH',
        doc: '',
        tasks: [
          {
            id: 'ssh.true',
            title: 'true',
            on: 'each',
            kind: 'safe',
            commands: () => ['true'],
            verify: async () => ({ summary: 'ok' }),
          },
        ],
      },
    ];
    const questions: string[] = [];
    const ask = async <T>(q: Record<string, unknown>): Promise<T> => (questions.push(String(q.message)), true as T);
    const state = tempState();
    const deps = {
      steps,
      env: { ...SECRETS },
      renderer: 'silent' as const,
      signals: false,
      sshConfig: { home },
      ask,
      interactive: true,
      prompter: new FakePrompter({ 'Approve step 1 of 1 (ssh)?': 'approve this step' }),
    };
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      expect((await install({ answers, state }, deps)).outcome).toBe('complete');
      const fp = fingerprint(node.hostKeyBlob());
      expect(questions).toEqual([`kvm-a (127.0.0.1:${node.port}) presents ssh-ed25519 key ${fp}. Trust it?`]);
      expect(readFileSync(join(state, 'known_hosts'), 'utf8')).toBe(`[127.0.0.1]:${node.port} ${node.hostKeyLine()}\n`);
      expect(readFileSync(join(state, 'install.log'), 'utf8')).toMatch(
        new RegExp(`\\? kvm-a \\(127\\.0\\.0\\.1:${node.port}\\) presents ssh-ed25519 key .*\\n.*→ yes\\n`),
      );
      expect((await install({ answers, state }, deps)).outcome).toBe('complete');
      expect(questions).toHaveLength(1);
    } finally {
      setOutput(prev);
    }
  });

  it('an encrypted key asks its passphrase once for both nodes (three tries); the agent logs in without a key file', async () => {
    forgetIdentities();
    const dir = tempState();
    const key = join(dir, 'id_pp');
    keygen(key, 'correct horse');
    appendFileSync(join(node.dir, 'authorized_keys'), readFileSync(key + '.pub'));
    const asked: number[] = [];
    const answers = ['wrong', 'correct horse'];
    const mk = (name: string, o: Partial<ConstructorParameters<typeof NodeSession>[0]>) =>
      new NodeSession({
        name,
        host: node.host,
        port: node.port,
        user: node.user,
        agent: false,
        hostKeys: { pinned: fingerprint(node.hostKeyBlob()) },
        ...o,
      });
    const ask = async (_f: string, attempt: number) => (asked.push(attempt), answers.shift()!);
    const s1 = mk('kvm-a', { identityFiles: [key], askPassphrase: ask });
    const s2 = mk('kvm-b', { identityFiles: [key], askPassphrase: ask });
    try {
      await Promise.all([s1.connect(), s2.connect()]);
      expect((await s2.exec('echo hi')).stdout).toBe('hi\n');
      expect(asked).toEqual([1, 2]);
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }

    const sock = join(dir, 'agent.sock');
    const ag = spawnSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(ag.stdout)?.[1]);
    try {
      expect(spawnSync('ssh-add', [node.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status).toBe(
        0,
      );
      const s3 = mk('kvm-a', { agent: sock });
      try {
        expect((await s3.exec('echo agent')).stdout).toBe('agent\n');
      } finally {
        await s3.close();
      }
    } finally {
      if (pid) process.kill(pid);
    }
  });
});
