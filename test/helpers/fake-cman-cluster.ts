/**
 * Two FakeNodes (test/helpers/fake-node.ts) wired into a tiny model of a cman/rgmanager cluster, for
 * unit tests of the cluster-manager steps: init scripts and chkconfig, `passwd --stdin ricci`,
 * `rsync` of cluster.conf, `cman_tool version [-r]` (ricci password checked on stdin),
 * `cman_tool status`, `ccs_config_validate` (well-formedness), `clustat` and `clusvcadm -e`.
 * Outputs follow the tutorial's captured ones. Every stdin given to a command is recorded.
 */
import { XMLValidator } from 'fast-xml-parser';
import type { ExecOptions, ExecResult } from '../../src/engine/types.js';
import type { Plan, PlanNode } from '../../src/plan/derive.js';
import { FakeNode } from './fake-node.js';

const CONF = '/etc/cluster/cluster.conf';

/** A FakeNode that records the stdin of every command. */
export class StdinFakeNode extends FakeNode {
  readonly stdins: { cmd: string; stdin?: string }[] = [];
  override async exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stdins.push({ cmd, stdin: opts?.stdin });
    return super.exec(cmd, opts);
  }
}

/** The modelled cluster state (tests read and set it directly). */
export interface ClusterModel {
  /** service -> running, per node name. */
  running: Map<string, Set<string>>;
  /** service -> boot on, per node name (absent: off). */
  boot: Map<string, Set<string>>;
  ricci: Map<string, string>;
  /** config_version cman runs (cluster-wide); undefined before the first start. */
  version?: number;
  /** rgmanager services: full name -> state and owner. */
  rg: Map<string, { state: string; owner?: string; last?: string }>;
  /** Services without an init script (not installed) on every node. */
  notInstalled: Set<string>;
  /** Guests running per node name (virsh list); `clusvcadm -e/-M` move them. */
  guests: Map<string, Set<string>>;
}

const STATUS_OUT = (p: Plan, n: PlanNode, v: number) =>
  [
    'Version: 6.2.0',
    `Config Version: ${v}`,
    `Cluster Name: ${p.cluster.name}`,
    'Cluster Id: 24561',
    'Cluster Member: Yes',
    'Cluster Generation: 8',
    'Membership state: Cluster-Member',
    'Nodes: 2',
    'Expected votes: 1',
    'Total votes: 2',
    'Node votes: 1',
    'Quorum: 1  ',
    'Active subsystems: 7',
    'Flags: 2node ',
    'Ports Bound: 0  ',
    `Node name: ${n.fqdn}`,
    `Node ID: ${n.id}`,
    'Multicast addresses: 239.192.95.81 ',
    `Node addresses: ${n.bcn}`,
  ].join('\n') + '\n';

/** Build the pair. `ricciAuth`: nodes cman_tool has already authenticated to (no password asked). */
export function fakeCluster(p: Plan) {
  const [a, b] = p.nodes.map((n) => new StdinFakeNode(n)) as [StdinFakeNode, StdinFakeNode];
  const nodes = [a, b];
  const model: ClusterModel = {
    running: new Map(p.nodes.map((n) => [n.name, new Set<string>()])),
    boot: new Map(p.nodes.map((n) => [n.name, new Set<string>()])),
    ricci: new Map(),
    rg: new Map(),
    notInstalled: new Set(),
    guests: new Map([
      [a.plan.name, new Set<string>()],
      [b.plan.name, new Set<string>()],
    ]),
  };
  const peerOf = (x: StdinFakeNode) => (x === a ? b : a);
  const versionOf = (text?: string) => Number(/config_version="(\d+)"/.exec(text ?? '')?.[1] ?? NaN);

  /** rgmanager reads the config: services with autostart="1" start on their domain's node. */
  const reconfigure = () => {
    const text = a.files.get(CONF) ?? '';
    for (const m of text.matchAll(/<service autostart="1" domain="only_([^"]+)"[^>]*name="([^"]+)"/g)) {
      const node = p.nodes.find((n) => n.label === m[1]);
      const name = `service:${m[2]}`;
      if (node && model.running.get(node.name)!.has('rgmanager') && !model.rg.has(name))
        model.rg.set(name, { state: 'started', owner: node.fqdn });
    }
    for (const m of text.matchAll(/<vm name="([^"]+)"/g))
      if (!model.rg.has(`vm:${m[1]}`)) model.rg.set(`vm:${m[1]}`, { state: 'disabled' });
  };

  const clustat = (x: StdinFakeNode) => {
    const lines = [
      `Cluster Status for ${p.cluster.name} @ Wed Dec 14 20:52:11 2011`,
      'Member Status: Quorate',
      ' Member Name                             ID   Status',
      ' ------ ----                             ---- ------',
    ];
    for (const y of nodes) {
      const up = model.running.get(y.plan.name)!;
      const st = up.has('cman')
        ? ['Online', ...(y === x ? ['Local'] : []), ...(up.has('rgmanager') ? ['rgmanager'] : [])]
        : ['Offline'];
      lines.push(` ${y.plan.fqdn.padEnd(40)}${String(y.plan.id).padStart(4)} ${st.join(', ')}`);
    }
    if (model.rg.size) {
      lines.push(
        ' Service Name                   Owner (Last)                   State         ',
        ' ------- ----                   ----- ------                   -----         ',
      );
      for (const [name, s] of model.rg)
        lines.push(
          ` ${name.padEnd(31)}${(s.owner ?? (s.last ? `(${s.last})` : '(none)')).padEnd(30)}${s.state.padEnd(14)}`,
        );
    }
    return lines.join('\n') + '\n';
  };

  for (const x of nodes) {
    const name = x.plan.name;
    const up = model.running.get(name)!;
    const boot = model.boot.get(name)!;
    x.on(/^test -x \/etc\/init\.d\/(\S+)$/, (_c, m) => ({ code: model.notInstalled.has(m[1]) ? 1 : 0 }));
    x.on(/^\/etc\/init\.d\/(\S+) status$/, (_c, m) => ({
      code: up.has(m[1]) ? 0 : 3,
      stdout: `${m[1]} is ${up.has(m[1]) ? 'running' : 'stopped'}\n`,
    }));
    x.on(/^\/etc\/init\.d\/(\S+) start$/, (_c, m) => {
      if (m[1] === 'cman' && !x.files.has(CONF)) return { code: 1, stderr: 'cman: no cluster.conf\n' };
      up.add(m[1]);
      if (m[1] === 'cman' && model.version === undefined) model.version = versionOf(x.files.get(CONF));
      if (m[1] === 'rgmanager') reconfigure();
      return `Starting ${m[1]}:                                            [  OK  ]\n`;
    });
    x.on(
      /^\/etc\/init\.d\/(\S+) stop$/,
      (_c, m) => (up.delete(m[1]), `Stopping ${m[1]}:                                            [  OK  ]\n`),
    );
    x.on(/^chkconfig (\S+) (on|off)$/, (_c, m) => (m[2] === 'on' ? boot.add(m[1]) : boot.delete(m[1]), ''));
    x.on('chkconfig cman on && chkconfig rgmanager on', () => (boot.add('cman'), boot.add('rgmanager'), ''));
    const list = (s: string) =>
      `${s.padEnd(15)}\t${[0, 1, 2, 3, 4, 5, 6].map((l) => `${l}:${boot.has(s) && l >= 2 && l <= 5 ? 'on' : 'off'}`).join('\t')}\n`;
    x.on(/^chkconfig --list (\S+)$/, (_c, m) => list(m[1]));
    x.on('chkconfig --list cman; chkconfig --list rgmanager', () => list('cman') + list('rgmanager'));
    x.on('passwd --stdin ricci', () => ({
      code: 0,
      stdout: 'Changing password for user ricci.\npasswd: all authentication tokens updated successfully.\n',
    }));
    x.on(
      'passwd -S ricci',
      () =>
        `ricci ${model.ricci.has(name) ? 'PS' : 'LK'} 2011-12-13 0 99999 7 -1 (${model.ricci.has(name) ? 'Password set, SHA512 crypt.' : 'Password locked.'})\n`,
    );
    x.on('ccs_config_validate', () => {
      const text = x.files.get(CONF);
      if (text === undefined) return { code: 1, stderr: 'Unable to open /etc/cluster/cluster.conf\n' };
      return XMLValidator.validate(text) === true
        ? 'Configuration validates\n'
        : { code: 3, stderr: 'Relax-NG validity error\nConfiguration fails to validate\n' };
    });
    x.on(/^rsync -av \/etc\/cluster\/cluster\.conf root@(\S+):\/etc\/cluster\/$/, (_c, m) => {
      const target = nodes.find((y) => y.plan.name === m[1]);
      if (!target || !x.files.has(CONF)) return { code: 23, stderr: 'rsync error\n' };
      target.files.set(CONF, x.files.get(CONF)!);
      return 'sending incremental file list\ncluster.conf\n';
    });
    x.on('cman_tool version', () =>
      up.has('cman') && model.version !== undefined
        ? `6.2.0 config ${model.version}\n`
        : { code: 1, stderr: 'cman_tool: Cannot open connection to cman, is it running ?\n' },
    );
    x.on('cman_tool status', () =>
      up.has('cman')
        ? STATUS_OUT(p, x.plan, model.version!)
        : { code: 1, stderr: 'cman_tool: Cannot open connection to cman, is it running ?\n' },
    );
    x.on('clustat', () =>
      up.has('cman') ? clustat(x) : { code: 1, stderr: 'Could not connect to CMAN: No such file or directory\n' },
    );
    x.on(/^clusvcadm -e vm:(\S+) -m (\S+)$/, (_c, m) => {
      const s = model.rg.get(`vm:${m[1]}`);
      if (!s || s.state === 'started' || s.state === 'failed')
        return { code: 1, stderr: `Invalid operation for vm:${m[1]}\n` };
      model.rg.set(`vm:${m[1]}`, { state: 'started', owner: m[2] });
      // NOTE: like vm.sh, the guest is started on the target (adopted when it already runs there).
      const target = nodes.find((y) => y.plan.fqdn === m[2]);
      if (target) model.guests.get(target.plan.name)!.add(m[1]);
      return `vm:${m[1]} is now running on ${m[2]}\n`;
    });
    x.on(/^clusvcadm -M vm:(\S+) -m (\S+)$/, (_c, m) => {
      const s = model.rg.get(`vm:${m[1]}`);
      const target = nodes.find((y) => y.plan.fqdn === m[2]);
      if (!s || s.state !== 'started' || !target) return { code: 1, stderr: `Invalid operation for vm:${m[1]}\n` };
      for (const g of model.guests.values()) g.delete(m[1]);
      model.guests.get(target.plan.name)!.add(m[1]);
      model.rg.set(`vm:${m[1]}`, { state: 'started', owner: m[2] });
      return `Trying to migrate vm:${m[1]} to ${m[2]}...Success\n`;
    });
    x.on('virsh list --all', () => {
      const g = model.guests.get(name)!;
      return (
        [
          ' Id    Name                           State',
          '----------------------------------------------------',
          ...[...g].map((v, i) => ` ${String(i + 1).padEnd(5)} ${v.padEnd(30)} running`),
          '',
        ].join('\n') + '\n'
      );
    });
    x.on(
      /^clusvcadm -d vm:(\S+)$/,
      (_c, m) => (model.rg.set(`vm:${m[1]}`, { state: 'disabled' }), `Local machine disabling vm:${m[1]}...Success\n`),
    );
  }
  // NOTE: set after the generic handlers so they win (FakeNode: later handlers first).
  for (const x of nodes) {
    x.on('passwd --stdin ricci', () => {
      const last = x.stdins[x.stdins.length - 1];
      model.ricci.set(x.plan.name, (last.stdin ?? '').replace(/\n$/, ''));
      return 'Changing password for user ricci.\npasswd: all authentication tokens updated successfully.\n';
    });
    x.on('cman_tool version -r', () => {
      if (!model.running.get(x.plan.name)!.has('cman'))
        return { code: 1, stderr: 'cman_tool: Cannot open connection to cman, is it running ?\n' };
      const text = x.files.get(CONF)!;
      const v = versionOf(text);
      if (!(v > (model.version ?? 0)))
        return {
          code: 1,
          stderr: `cman_tool: Error: new config version (${v}) must be greater than current version (${model.version})\n`,
        };
      // NOTE: like cman_tool, one password line per node it must authenticate to, read from stdin.
      const typed = (x.stdins[x.stdins.length - 1].stdin ?? '').split('\n');
      for (const [i, y] of nodes.entries())
        if (typed[i] !== model.ricci.get(y.plan.name))
          return { code: 1, stderr: `Unable to authenticate to the ricci daemon on ${y.plan.fqdn}\n` };
      peerOf(x).files.set(CONF, text);
      model.version = v;
      if ([...model.running.values()].some((s) => s.has('rgmanager'))) reconfigure();
      return `You have not authenticated to the ricci daemon on ${a.plan.fqdn}\nPassword: You have not authenticated to the ricci daemon on ${b.plan.fqdn}\nPassword: `;
    });
  }
  return { a, b, model, clustat };
}
