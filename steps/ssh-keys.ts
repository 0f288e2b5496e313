/**
 * Setting up SSH: a key for root on each node, both public keys in each node's authorized_keys, and
 * a known_hosts holding every name of both nodes, so the nodes reach each other by any name on any
 * network without a password or a host-key question.
 *
 * NOTE: the tutorial copies keys with `ssh`/`rsync` between the nodes, answering host-key questions
 * by hand. The tool instead reads each node's files over its own session to that node, whose host key
 * it already checked, so nothing is trusted blindly (no ssh-keyscan) and no password is typed.
 */
import { createHash } from 'node:crypto';
import type { Step, TaskContext } from '../src/engine/types.js';
import type { Plan, PlanNode } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';

const HOME = '/root';
const ID_RSA = `${HOME}/.ssh/id_rsa`;
const AUTHORIZED = `${HOME}/.ssh/authorized_keys`;
const KNOWN = `${HOME}/.ssh/known_hosts`;
const HOST_KEY = '/etc/ssh/ssh_host_rsa_key.pub';

/** The names a node answers SSH on, as the tutorial's known_hosts walk uses them. */
export function sshNames(n: PlanNode): string[] {
  return [n.name, n.fqdn, `${n.name}.bcn`, `${n.name}.sn`, `${n.name}.ifn`];
}

/** The host field of a node's known_hosts line: every name plus the address it resolves to. */
export function knownHostsPatterns(n: PlanNode): string[] {
  return [n.name, `${n.name}.bcn`, n.fqdn, n.bcn, `${n.name}.sn`, n.sn, `${n.name}.ifn`, n.ifn];
}

/** Split an OpenSSH public key line into its type and base64 blob (comment dropped). */
export function parsePublicKey(line: string): { type: string; blob: string } | undefined {
  const m = /^(ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+)\s+([A-Za-z0-9+/=]+)/.exec(line.trim());
  return m ? { type: m[1], blob: m[2] } : undefined;
}

/** OpenSSH-style SHA256 fingerprint of a public key line. */
export function fingerprint(line: string): string {
  const k = parsePublicKey(line);
  if (!k) return '(not a public key)';
  return 'SHA256:' + createHash('sha256').update(Buffer.from(k.blob, 'base64')).digest('base64').replace(/=+$/, '');
}

/** authorized_keys with every key of `keys` present once; other lines (e.g. the operator's key) kept. */
export function mergeAuthorizedKeys(current: string, keys: string[]): string {
  const lines = current.split('\n').filter((l) => l.trim() !== '');
  const have = new Set(
    lines.map((l) => parsePublicKey(l.replace(/^[^ ]*\s+(?=ssh-|ecdsa-)/, ''))?.blob).filter(Boolean),
  );
  for (const k of keys) {
    const blob = parsePublicKey(k)?.blob;
    if (blob && !have.has(blob)) {
      lines.push(k.trim());
      have.add(blob);
    }
  }
  return lines.join('\n') + '\n';
}

/** known_hosts with one line per node (all its names, its host key); stale lines for those names dropped. */
export function mergeKnownHosts(current: string, entries: { patterns: string[]; key: string }[]): string {
  const ours = new Set(entries.flatMap((e) => e.patterns));
  const kept = current
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter(
      (l) =>
        l.startsWith('#') ||
        !l
          .split(/\s+/)[0]
          .split(',')
          .some((h) => ours.has(h.replace(/^\[([^\]]+)\](:\d+)?$/, '$1'))),
    );
  const k = (key: string) => {
    const pk = parsePublicKey(key)!;
    return `${pk.type} ${pk.blob}`;
  };
  return [...kept, ...entries.map((e) => `${e.patterns.join(',')} ${k(e.key)}`)].join('\n') + '\n';
}

async function readKey(ctx: TaskContext, which: 'node' | 'peer', path: string, task: string): Promise<string> {
  const h = ctx[which];
  const text = await h.readFile(path);
  const line = text?.split('\n').find((l) => parsePublicKey(l));
  if (!line)
    throw new AnvilError(
      `${task}: ${h.plan.name} has no usable ${path}`,
      which === 'peer' ? 'run the step on both nodes (ssh-keys.keygen)' : undefined,
    );
  return line.trim();
}

/** The key generation output the tutorial shows. */
function keygenOutput(n: PlanNode): string {
  return [
    'Generating public/private rsa key pair.',
    "Created directory '/root/.ssh'.",
    'Your identification has been saved in /root/.ssh/id_rsa.',
    'Your public key has been saved in /root/.ssh/id_rsa.pub.',
    'The key fingerprint is:',
    `..:..:..:..:..:..:..:..:..:..:..:..:..:..:..:.. root@${n.fqdn}`,
  ].join('\n');
}

export const sshKeys: Step = {
  id: 'ssh-keys',
  title: 'Setting up SSH',
  ifSkipped: 'the nodes cannot log in to each other: the rsync of cluster.conf and the VM definitions to the peer fail',
  doc:
    'Setting up SSH shared keys will allow your nodes to pass files between one another and execute commands remotely ' +
    'without needing to enter a password; libvirtd and its tools need this later. Each node gets a key for root, and ' +
    "both public keys go into each node's ~/.ssh/authorized_keys. Various applications connect to the other node by " +
    'different names and networks, and many cannot handle the first-connection host-key prompt, so ~/.ssh/known_hosts ' +
    'on both nodes holds every name of both nodes. The tutorial warns: take the time to check the fingerprints; it is a ' +
    "bad habit to blindly type yes. Here the host keys are read over the tool's own, already verified session to each node.",
  tasks: [
    {
      id: 'ssh-keys.keygen',
      title: "Generate root's SSH key",
      on: 'both',
      kind: 'once',
      destroys: () => '/root/.ssh/id_rsa',
      // NOTE: "The '2047' is just to screw with brute-forces a bit." (the tutorial)
      commands: () => ['ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa'],
      expect: () => ['~/.ssh/id_rsa (mode 0600) and ~/.ssh/id_rsa.pub exist; ssh-keygen -l shows a 2047 bit RSA key'],
      expectedOutput: (_p, n) => keygenOutput(n),
      async done(ctx) {
        return (await ctx.node.exec(`test -f ${ID_RSA} && test -f ${ID_RSA}.pub`)).code === 0;
      },
      async verify(ctx) {
        const name = ctx.node.plan.name;
        const fail = (e: string, s: string) => new VerifyFailed('ssh-keys.keygen', name, e, s);
        const pub = await ctx.node.readFile(`${ID_RSA}.pub`);
        if (!pub || !parsePublicKey(pub))
          throw fail(
            `an RSA public key in ${ID_RSA}.pub`,
            pub === null ? 'no such file' : `"${pub.trim().slice(0, 40)}"`,
          );
        const l = await ctx.node.exec(`ssh-keygen -l -f ${ID_RSA}`);
        if (l.code !== 0 || !/\(RSA\)/.test(l.stdout))
          throw fail(`ssh-keygen -l -f ${ID_RSA} to show an RSA key`, (l.stdout + l.stderr).trim() || `exit ${l.code}`);
        const mode = (await ctx.node.exec(`stat -c %a ${ID_RSA}`)).stdout.trim();
        if (mode !== '600')
          throw fail(`${ID_RSA} mode 600 (never group or world readable)`, `mode ${mode || 'unknown'}`);
        return { summary: l.stdout.trim(), details: { fingerprint: fingerprint(pub) } };
      },
    },
    {
      id: 'ssh-keys.authorize',
      title: "Put both nodes' public keys in authorized_keys",
      on: 'both',
      kind: 'safe',
      commands: (p, n) => [
        'cat ~/.ssh/id_rsa.pub >> ~/.ssh/authorized_keys',
        `ssh root@${q(p.peerOf(n).name)} "cat ~/.ssh/id_rsa.pub" >> ~/.ssh/authorized_keys`,
        'chmod 600 ~/.ssh/authorized_keys',
      ],
      expect: (p, n) => [
        `~/.ssh/authorized_keys holds the root keys of ${n.name} and ${p.peerOf(n).name} (other keys kept)`,
      ],
      async run(ctx) {
        const keys = [
          await readKey(ctx, 'node', `${ID_RSA}.pub`, 'ssh-keys.authorize'),
          await readKey(ctx, 'peer', `${ID_RSA}.pub`, 'ssh-keys.authorize'),
        ];
        const current = (await ctx.node.readFile(AUTHORIZED)) ?? '';
        const next = mergeAuthorizedKeys(current, keys);
        if (next !== current || current === '')
          await ctx.node.writeFile(AUTHORIZED, next, { mode: 0o600, backup: current ? 'orig' : 'none' });
        else await ctx.node.sh(`chmod 600 ${AUTHORIZED}`);
      },
      async verify(ctx) {
        const name = ctx.node.plan.name;
        const text = (await ctx.node.readFile(AUTHORIZED)) ?? '';
        const have = new Set(
          text.split('\n').map((l) => parsePublicKey(l.replace(/^[^ ]*\s+(?=ssh-|ecdsa-)/, ''))?.blob),
        );
        const missing: string[] = [];
        for (const h of [ctx.node, ctx.peer]) {
          const pub = await h.readFile(`${ID_RSA}.pub`);
          const blob = pub ? parsePublicKey(pub)?.blob : undefined;
          if (!blob || !have.has(blob)) missing.push(`${h.plan.name}'s key`);
        }
        if (missing.length)
          throw new VerifyFailed(
            'ssh-keys.authorize',
            name,
            `${AUTHORIZED} to hold both nodes' keys`,
            `missing ${missing.join(' and ')}`,
          );
        return { summary: `${AUTHORIZED} holds both nodes' root keys` };
      },
    },
    {
      id: 'ssh-keys.known-hosts',
      title: 'Populate ~/.ssh/known_hosts with every name of both nodes',
      on: 'both',
      kind: 'safe',
      commands: (p) => [...p.nodes.flatMap((m) => sshNames(m).map((nm) => `ssh root@${q(nm)} true`))],
      expect: (p, n) => [
        `~/.ssh/known_hosts names ${p.nodes.map((m) => knownHostsPatterns(m).join(',')).join(' and ')}`,
        `from ${n.name}, \`ssh -o BatchMode=yes root@NAME uname -n\` answers without a password or prompt for ${p.nodes.flatMap(sshNames).join(', ')}`,
      ],
      async run(ctx) {
        const entries: { patterns: string[]; key: string }[] = [];
        for (const which of ['node', 'peer'] as const) {
          const key = await readKey(ctx, which, HOST_KEY, 'ssh-keys.known-hosts');
          const m = ctx[which].plan;
          ctx.log(`${m.name} host key ${fingerprint(key)} (read over the verified session to ${m.name})`);
          entries.push({ patterns: knownHostsPatterns(m), key });
        }
        entries.sort(
          (a, b) =>
            ctx.plan.nodes.findIndex((m) => m.name === a.patterns[0]) -
            ctx.plan.nodes.findIndex((m) => m.name === b.patterns[0]),
        );
        const current = (await ctx.node.readFile(KNOWN)) ?? '';
        const next = mergeKnownHosts(current, entries);
        if (next !== current) await ctx.node.writeFile(KNOWN, next, { mode: 0o644, backup: current ? 'orig' : 'none' });
      },
      async verify(ctx) {
        return verifyLogins(ctx.plan, ctx);
      },
    },
  ],
};

/** From this node, log in to every name of both nodes without a password or a host-key prompt. */
async function verifyLogins(p: Plan, ctx: TaskContext) {
  const from = ctx.node.plan.name;
  const bad: string[] = [];
  let ok = 0;
  for (const m of p.nodes)
    for (const nm of sshNames(m)) {
      const r = await ctx.node.exec(`ssh -o BatchMode=yes -o ConnectTimeout=10 root@${q(nm)} uname -n`, {
        timeoutMs: 30_000,
      });
      const seen = r.stdout.trim();
      if (r.code !== 0) bad.push(`root@${nm}: ${(r.stderr.trim().split('\n').pop() || `exit ${r.code}`).trim()}`);
      else if (seen !== m.fqdn) bad.push(`root@${nm} answered as ${seen || '(nothing)'}, expected ${m.fqdn}`);
      else ok++;
    }
  if (bad.length)
    throw new VerifyFailed(
      'ssh-keys.known-hosts',
      from,
      'passwordless, prompt-free ssh to every name of both nodes',
      bad.join('; '),
    );
  return { summary: `${ok} names reached from ${from} without password or prompt`, details: { logins: ok } };
}
