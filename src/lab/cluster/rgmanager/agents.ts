/**
 * rgmanager's resource agents as the lab plays them: like the real daemon they act by running
 * commands on the node's own shell, so the init scripts and virsh of the other subsystems are what
 * gets exercised. `script` resources run `<file> start|stop|status` (script.sh); `vm` resources do
 * what vm.sh does with `virsh` (start from the definition under `path`, shutdown then destroy,
 * `virsh domstate` for status, `virsh migrate --live` for `clusvcadm -M`).
 */
import type { LabNode } from '../../node/node.js';
import type { Group } from './conf.js';

/** OCF exit codes' meanings as rgmanager logs them (restree.c's table; 7 and up: "unspecified"). */
const OCF = [
  'success',
  'generic error',
  'invalid argument(s)',
  'function not implemented',
  'insufficient privileges',
  'program not installed',
  'program not configured',
];

/** `(generic error)` text for an agent's return code. */
export function ocfText(rc: number): string {
  return OCF[rc] ?? 'unspecified';
}

/** Run one command line on a node; a node that is down or hangs answers 255. */
export async function sh(node: LabNode, cmd: string): Promise<{ code: number; out: string }> {
  if (!node.running) return { code: 255, out: '' };
  try {
    const r = await node.exec(cmd);
    return { code: r.code, out: r.stdout };
  } catch {
    return { code: 255, out: '' };
  }
}

/** What an agent operation returned, and the resource that failed (for the log line). */
export interface AgentResult {
  rc: number;
  /** `on script "drbd"` / `on vm "vm0001-dev"`: the failed resource, when one failed. */
  failed?: { type: 'script' | 'vm'; name: string };
  /** script.sh's own error line: `script:drbd: start of /etc/init.d/drbd failed (returned 1)`. */
  note?: string;
}

/** script.sh: an init script's non-zero exit is logged, then reported as OCF_ERR_GENERIC (1). */
function scriptFailed(s: { name: string; file: string }, action: string, code: number): AgentResult {
  return {
    rc: 1,
    failed: { type: 'script', name: s.name },
    note: `[script] script:${s.name}: ${action} of ${s.file} failed (returned ${code})`,
  };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The file vm.sh starts a guest from: `<path>/<name>.xml` (the tutorial's form). */
export function vmDefinition(g: Group): string {
  return `${(g.path ?? '/etc/libvirt/qemu').replace(/\/+$/, '')}/${g.name}.xml`;
}

/** The files vm.sh's search_config_path() tries, in order: per `:`-separated dir, `<name>` then `<name>.xml`. */
export function vmDefinitionCandidates(g: Group): string[] {
  return (g.path ?? '')
    .split(':')
    .filter((d) => d)
    .flatMap((d) => [`${d.replace(/\/+$/, '')}/${g.name}`, `${d.replace(/\/+$/, '')}/${g.name}.xml`]);
}

/** Whether the guest runs on `node` (`virsh domstate` says running, paused or shutting down). */
export async function vmRunning(node: LabNode, name: string): Promise<boolean> {
  if (!node.running || !node.isRunning('libvirtd')) return false;
  const r = await sh(node, `virsh domstate ${q(name)}`);
  const st = r.out.split('\n')[0].trim();
  return (
    r.code === 0 && (st === 'running' || st === 'paused' || st === 'in shutdown' || st === 'idle' || st === 'blocked')
  );
}

/** script.sh's checks before it runs the file: missing → 5 (not installed), not executable → 1. */
async function scriptMissing(node: LabNode, s: { name: string; file: string }): Promise<AgentResult | undefined> {
  if ((await sh(node, `test -f ${q(s.file)}`)).code !== 0) return { rc: 5, failed: { type: 'script', name: s.name } };
  if ((await sh(node, `test -x ${q(s.file)}`)).code !== 0) return { rc: 1, failed: { type: 'script', name: s.name } };
  return undefined;
}

/** Start a group's resources on `node` in order; stops at the first failure. */
export async function agentStart(node: LabNode, g: Group): Promise<AgentResult> {
  if (g.kind === 'service') {
    for (const s of g.scripts) {
      const missing = await scriptMissing(node, s);
      if (missing) return missing;
      const r = await sh(node, `${s.file} start`);
      if (r.code !== 0) return scriptFailed(s, 'start', r.code);
    }
    return { rc: 0 };
  }
  // NOTE: vm.sh's start returns at once when the guest already runs here: this is how
  // `clusvcadm -e vm:X -m <node where it runs>` adopts a guest without restarting it (tutorial 4121-4123).
  // Source: resource-agents v3.9.2 (EL6's rgmanager 3.0.12 agents), rgmanager/src/resources/vm.sh,
  // do_virsh_start(): `do_status && return 0`; the status is the LOCAL `virsh domstate` only, so a guest
  // running on the other node is started a second time here (a double start; the virt model records it).
  if (await vmRunning(node, g.name)) return { rc: 0 };
  if (g.path !== undefined) {
    // NOTE: vm.sh search_config_path(): each `:`-separated dir of `path`, `<dir>/<name>` then `<dir>/<name>.xml`;
    // found → `virsh create <file>` (a transient start from the file, whatever this node has defined).
    for (const file of vmDefinitionCandidates(g))
      if ((await sh(node, `test -f ${q(file)}`)).code === 0) {
        const r = await sh(node, `virsh create ${q(file)} >/dev/null 2>&1`);
        return r.code === 0 ? { rc: 0 } : { rc: 1, failed: { type: 'vm', name: g.name } };
      }
    // NOTE: not found: vm.sh unsets xmlfile, choose_management_tool() then finds no XML and picks xm, and
    // validate_all() refuses a non-xen hypervisor without virsh: `exit $OCF_ERR_ARGS` (2).
    return {
      rc: 2,
      failed: { type: 'vm', name: g.name },
      note: `[vm] Could not find ${g.name} or ${g.name}.xml in search path ${g.path}`,
    };
  }
  const r = await sh(node, `virsh start ${q(g.name)} >/dev/null 2>&1`);
  return r.code === 0 ? { rc: 0 } : { rc: 1, failed: { type: 'vm', name: g.name } };
}

/** How long vm.sh waits for a guest to shut down before it destroys it (lab seconds). */
export const VM_STOP_TIMEOUT_S = 120;

/** Stop a group's resources on `node` in reverse order; every resource is tried, the first failure is returned. */
export async function agentStop(node: LabNode, g: Group): Promise<AgentResult> {
  if (g.kind === 'service') {
    let res: AgentResult = { rc: 0 };
    for (const s of [...g.scripts].reverse()) {
      // NOTE: stopping what is not installed cannot fail (script.sh's stop of a missing file is moot here).
      if (await scriptMissing(node, s)) continue;
      const r = await sh(node, `${s.file} stop`);
      // NOTE: LSB: stopping a service that is not running is a success; init scripts that say
      // otherwise (exit 1 from `killproc`) are judged by their status afterwards, as script.sh does.
      if (r.code !== 0 && (await sh(node, `${s.file} status >/dev/null 2>&1`)).code === 0 && res.rc === 0)
        res = scriptFailed(s, 'stop', r.code);
    }
    return res;
  }
  if (!(await vmRunning(node, g.name))) return { rc: 0 };
  await sh(node, `virsh shutdown ${q(g.name)} >/dev/null 2>&1`);
  for (let i = 0; i < VM_STOP_TIMEOUT_S; i++) {
    if (!(await vmRunning(node, g.name))) return { rc: 0 };
    await sh(node, 'sleep 1');
  }
  await sh(node, `virsh destroy ${q(g.name)} >/dev/null 2>&1`);
  return (await vmRunning(node, g.name)) ? { rc: 1, failed: { type: 'vm', name: g.name } } : { rc: 0 };
}

/** Status of a group's resources on `node`: 0 when all run, else the first failing resource's code. */
export async function agentStatus(node: LabNode, g: Group): Promise<AgentResult> {
  if (g.kind === 'service') {
    for (const s of g.scripts) {
      const missing = await scriptMissing(node, s);
      if (missing) return missing;
      const r = await sh(node, `${s.file} status >/dev/null 2>&1`);
      if (r.code !== 0) return scriptFailed(s, 'status', r.code);
    }
    return { rc: 0 };
  }
  if (!node.isRunning('libvirtd')) return { rc: 1, failed: { type: 'vm', name: g.name } };
  return (await vmRunning(node, g.name)) ? { rc: 0 } : { rc: 7, failed: { type: 'vm', name: g.name } };
}

/** Live-migrate a guest from `node` to the cluster node named `target` (vm.sh migrate). */
export async function agentMigrate(node: LabNode, g: Group, target: string): Promise<number> {
  const r = await sh(node, `virsh migrate --live ${q(g.name)} qemu+ssh://${target}/system >/dev/null 2>&1`);
  return r.code;
}
