/**
 * Two real OpenSSH nodes for the transport and the SSH steps: a switch namespace with one bridge per
 * network (BCN, SN, IFN), one namespace per node with an interface and the planned address on each
 * network, and an operator namespace on the BCN. Each node runs `/usr/sbin/sshd` in its own mount and
 * UTS namespace: hostname = the node's FQDN, /etc/hosts = the rendered hosts file, /etc/ssh = the
 * node's own host keys and configs, /root = the node's own home (empty at first, as after install).
 * The operator namespace runs an sshd too: the bastion for ProxyJump.
 *
 * The test process lives in the host's network namespace; a loopback forwarder (127.0.0.1, a port per
 * target) hands each connection to a tiny connector started in the operator namespace, which opens
 * the TCP connection to the node there. The SSH session is end to end between the tool and the
 * node's sshd; only bytes pass through the forwarder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan, type Plan, type PlanNode } from '../../../src/plan/derive.js';
import { renderFile } from '../../../src/engine/render.js';
import { must, Netns, scratch, veth } from './netns.js';

/** One sshd host (a node or the bastion). */
export interface SshdHost {
  name: string;
  ns: Netns;
  /** Its folder: etc-ssh/ (bind-mounted at /etc/ssh), root/ (at /root), hosts, sshd.log. */
  dir: string;
  /** Address the operator namespace reaches it on. */
  addr: string;
  /** 127.0.0.1 port forwarded to addr:22 (from the operator namespace). */
  port: number;
  /** The host public key blobs (RSA, ed25519): what the tool may be shown at first contact. */
  hostKeyBlobs(): Buffer[];
  /** Stop the listener only (like `service sshd stop` on EL6: open sessions live on). */
  stopListener(): Promise<void>;
  /** Kill every process of this host's namespace: the listener and all sessions (a crash). */
  killAll(): Promise<void>;
  /** Start sshd again; `newHostKey` makes new host keys first. */
  start(opts?: { newHostKey?: boolean }): Promise<void>;
}

/** The rig. */
export interface SshdRig {
  plan: Plan;
  nodes: (SshdHost & { plan: PlanNode })[];
  bastion: SshdHost;
  /** The operator's address on the BCN (where direct sessions come from). */
  operatorAddr: string;
  /** The operator's key (ed25519), authorized on every host next to root's own authorized_keys. */
  clientKey: string;
  close(): Promise<void>;
}

function keygen(path: string, type: 'rsa' | 'ed25519'): void {
  spawnSync('rm', ['-f', path, `${path}.pub`]);
  must(['ssh-keygen', '-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', path]);
}

const CONNECTOR = `const [h,p]=process.argv.slice(1);const s=require('net').connect(+p,h);s.setNoDelay(true);process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',()=>process.exit(1));s.on('close',()=>process.exit(0));`;

/** A loopback port whose connections are piped to addr:22 as seen from `from`. */
async function forwarder(
  from: Netns,
  addr: string,
  children: Set<ChildProcess>,
): Promise<{ srv: Server; port: number }> {
  const srv = createServer((sock: Socket) => {
    sock.setNoDelay(true);
    const c = spawn('ip', ['netns', 'exec', from.name, process.execPath, '-e', CONNECTOR, addr, '22'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.add(c);
    sock.pipe(c.stdin);
    c.stdout.pipe(sock);
    c.stdin.on('error', () => undefined);
    sock.on('error', () => c.kill('SIGKILL'));
    sock.on('close', () => c.kill('SIGKILL'));
    c.on('exit', () => {
      children.delete(c);
      sock.destroy();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  return { srv, port: typeof a === 'object' && a ? a.port : 0 };
}

/** Build the rig for the answers file (default: the tutorial's). */
export async function startSshdRig(answersPath = 'examples/tutorial.anvil.yaml'): Promise<SshdRig> {
  const plan = derivePlan(loadAnswers(answersPath, {}));
  const base = scratch('sshd');
  const children = new Set<ChildProcess>();
  const servers: Server[] = [];
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(join(base, 'operator'), 'ed25519');
  const clientKey = join(base, 'operator');
  writeFileSync(join(base, 'operator_keys'), readFileSync(`${clientKey}.pub`));

  const sw = new Netns('ssw');
  const nets = ['bcn', 'sn', 'ifn'] as const;
  for (const br of nets) {
    sw.ip('link', 'add', br, 'type', 'bridge');
    sw.ip('link', 'set', br, 'up');
  }
  const prefix = (net: (typeof nets)[number]) => plan.answers.networks[net].cidr.split('/')[1];
  const op = new Netns('op');
  veth(op, 'eth0', sw, 'op0');
  sw.ip('link', 'set', 'op0', 'master', 'bcn');
  // NOTE: the operator's workstation on the BCN, at the top of its range (not a planned address).
  const opAddr = plan.answers.networks.bcn.cidr.replace(/\.\d+\.\d+\/\d+$/, '.255.254');
  op.addr('eth0', `${opAddr}/${prefix('bcn')}`);
  const hostsText = renderFile({ path: '/etc/hosts', template: 'etc/hosts.ejs' }, plan, plan.nodes[0]);

  const makeHost = async (name: string, fqdn: string, ns: Netns, addr: string): Promise<SshdHost> => {
    const dir = join(base, name);
    const etc = join(dir, 'etc-ssh');
    const root = join(dir, 'root');
    mkdirSync(etc, { recursive: true });
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(join(root, '.bashrc'), '# .bashrc\n');
    copyFileSync('/etc/ssh/ssh_config', join(etc, 'ssh_config'));
    writeFileSync(join(dir, 'hosts'), hostsText);
    // NOTE: no DNS in the rig (names come from the hosts file, as the tutorial wants); the host's own
    // resolver may sit inside a planned subnet, where every lookup would wait for ARP to time out.
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    const keys = () => {
      keygen(join(etc, 'ssh_host_rsa_key'), 'rsa');
      keygen(join(etc, 'ssh_host_ed25519_key'), 'ed25519');
    };
    keys();
    writeFileSync(
      join(etc, 'sshd_config'),
      [
        'Port 22',
        'ListenAddress 0.0.0.0',
        'HostKey /etc/ssh/ssh_host_rsa_key',
        'HostKey /etc/ssh/ssh_host_ed25519_key',
        `PidFile ${dir}/sshd.pid`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        // NOTE: root's own file (what the ssh-keys step writes) and the operator's, kept apart.
        `AuthorizedKeysFile .ssh/authorized_keys ${base}/operator_keys`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'AllowTcpForwarding yes',
        'MaxStartups 100:30:200',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const fwd = await forwarder(op, addr, children);
    servers.push(fwd.srv);
    let launcher: ChildProcess | null = null;
    const start = async (o: { newHostKey?: boolean } = {}) => {
      if (o.newHostKey) keys();
      launcher = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns.name,
          'unshare',
          '-m',
          '-u',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$1/etc-ssh" /etc/ssh && mount --bind "$1/root" /root && mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf && hostname "$2" && exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config',
          'sh',
          dir,
          fqdn,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
      );
      launcher.stderr?.on('data', (d: Buffer) => writeFileSync(join(dir, 'sshd.log'), d, { flag: 'a' }));
      children.add(launcher);
      // NOTE: ready when the port answers from the operator's namespace (~30 ms), not after a fixed sleep.
      for (let i = 0; i < 250; i++) {
        const r = spawnSync('ip', ['netns', 'exec', op.name, 'bash', '-c', `exec 3<>/dev/tcp/${addr}/22`], {
          stdio: 'ignore',
        });
        if (r.status === 0) return;
        if (launcher.exitCode !== null) break;
        await sleep(20);
      }
      throw new Error(
        `sshd on ${name} did not start: ${existsSync(join(dir, 'sshd.log')) ? readFileSync(join(dir, 'sshd.log'), 'utf8') : ''}`,
      );
    };
    const stopListener = async () => {
      if (!launcher) return;
      const l = launcher;
      launcher = null;
      const gone = new Promise<void>((r) => (l.exitCode !== null ? r() : l.once('exit', () => r())));
      // NOTE: the launcher execs sshd: its pid is the listener's; sessions are other processes.
      l.kill('SIGTERM');
      await gone;
    };
    const killAll = async () => {
      await stopListener();
      for (let i = 0; i < 50; i++) {
        const pids = spawnSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .map(Number);
        if (!pids.length) return;
        for (const pid of pids)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // NOTE: gone already.
          }
        await sleep(20);
      }
    };
    await start();
    return {
      name,
      ns,
      dir,
      addr,
      port: fwd.port,
      hostKeyBlobs: () =>
        ['rsa', 'ed25519'].map((t) =>
          Buffer.from(
            readFileSync(join(etc, `ssh_host_${t}_key.pub`), 'utf8')
              .trim()
              .split(/\s+/)[1],
            'base64',
          ),
        ),
      stopListener,
      killAll,
      start,
    };
  };

  const nodes: SshdRig['nodes'] = [];
  for (const [i, n] of plan.nodes.entries()) {
    const ns = new Netns(`s${i + 1}`);
    const devs = { bcn: 'eth0', sn: 'eth1', ifn: 'eth2' } as const;
    for (const net of nets) {
      const peer = `s${i + 1}${net}`;
      veth(ns, devs[net], sw, peer);
      sw.ip('link', 'set', peer, 'master', net);
      ns.addr(devs[net], `${n[net]}/${prefix(net)}`);
    }
    nodes.push({ ...(await makeHost(n.name, n.fqdn, ns, n.bcn)), plan: n });
  }
  // NOTE: the bastion is a third namespace on the BCN, next to the operator's.
  const jump = new Netns('jump');
  veth(jump, 'eth0', sw, 'jump0');
  sw.ip('link', 'set', 'jump0', 'master', 'bcn');
  const jumpAddr = opAddr.replace(/\.254$/, '.253');
  jump.addr('eth0', `${jumpAddr}/${prefix('bcn')}`);
  const bastion = await makeHost('bastion', 'bastion.localdomain', jump, jumpAddr);

  return {
    plan,
    nodes,
    bastion,
    operatorAddr: opAddr,
    clientKey,
    close: async () => {
      for (const h of [...nodes, bastion]) await h.killAll().catch(() => undefined);
      for (const c of children) c.kill('SIGKILL');
      for (const s of servers) s.close();
    },
  };
}
