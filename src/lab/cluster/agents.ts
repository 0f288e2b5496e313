/**
 * The fence agents of EL6 (fence-agents 3.1.5 and cman 3.0.12): option parsing (command line, or
 * `name=value` lines on stdin when no option is given, as fenced calls them), their outputs and exit
 * codes, and what they do to the world's BMCs and PDU outlets. Each run takes lab time (the tutorial:
 * an IPMI reboot ~15 s, an IPMI that cannot be reached gives up after its 20 s timeout, a PDU over
 * SNMP well under a second; 1762-1764, 1779-1781).
 */
import { worldOf, type World, type Bmc, type Pdu } from '../world/world.js';
import type { LabNode } from '../node/node.js';
import type { CommandFn } from '../node/command.js';
import { resolveOn } from '../commands/hosts.js';
import { bmcAlive, chassisOff, credentialsOk, outletOn, powerOn, setOutlet } from '../power/power.js';
import { labWait } from '../world/job-clock.js';

/** What a fence agent drives and how it talks. */
export interface AgentDef {
  /** bmc: the node's own management board; pdu: a power switch with outlets; virt: a hypervisor. */
  kind: 'bmc' | 'pdu' | 'virt';
  /** ipmi: the C fence_ipmilan (and its symlinks); py: the python agents on fencing.py; xvm: fence_xvm. */
  style: 'ipmi' | 'py' | 'xvm';
  /** Needs a port (-n / port=). */
  port?: boolean;
  /** Needs a login and a password (python agents without no_login/no_password). */
  login?: boolean;
}

/** Every fence agent the lab knows, by program name. */
export const FENCE_AGENTS: Record<string, AgentDef> = {
  fence_ipmilan: { kind: 'bmc', style: 'ipmi' },
  fence_ilo3: { kind: 'bmc', style: 'ipmi' },
  fence_ilo4: { kind: 'bmc', style: 'ipmi' },
  fence_idrac: { kind: 'bmc', style: 'ipmi' },
  fence_imm: { kind: 'bmc', style: 'ipmi' },
  fence_ilo: { kind: 'bmc', style: 'py', login: true },
  fence_ilo2: { kind: 'bmc', style: 'py', login: true },
  fence_drac5: { kind: 'bmc', style: 'py', login: true },
  fence_apc_snmp: { kind: 'pdu', style: 'py', port: true },
  fence_apc: { kind: 'pdu', style: 'py', port: true, login: true },
  fence_virsh: { kind: 'virt', style: 'py', port: true, login: true },
  fence_xvm: { kind: 'virt', style: 'xvm' },
};

/** Lab-time durations of agent runs (ms). */
export const AGENT_MS = {
  /** fence_ipmilan reboot: off, wait for off, on (tutorial 1763-1764: 15 s). */
  ipmiReboot: 15000,
  ipmiOnOff: 4000,
  ipmiStatus: 1000,
  /** fence_ipmilan's default timeout: an unreachable or dead BMC fails after it (tutorial 1779-1780: 20 s). */
  ipmiTimeout: 20000,
  /** Python agents over telnet/ssh/https (iLO, DRAC, APC telnet). */
  pyReboot: 12000,
  pyOnOff: 5000,
  pyStatus: 2000,
  /** Login timeout of the python agents. */
  pyLoginTimeout: 5000,
  /** fence_apc_snmp: a few SNMP round trips. */
  snmp: 500,
  snmpTimeout: 5000,
};

/** Options as the agent uses them (stdin names). */
export interface AgentOpts {
  ipaddr?: string;
  login?: string;
  passwd?: string;
  port?: string;
  action?: string;
  [k: string]: string | undefined;
}

/** The outcome of one agent run, and what it does to the world when it completes. */
export interface AgentRun {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
  /** Lab time the run takes. */
  ms: number;
  /** Apply the power action (after `ms`). */
  apply?(): void;
}

const ACTIONS = ['on', 'off', 'reboot', 'status', 'list', 'monitor'];

/** The device an address reaches from `from` (over an operational interface on its subnet). */
function reach(w: World, from: LabNode, host: string): { ip: string; bmc?: Bmc; pdu?: Pdu } | undefined {
  if (!from.running) return undefined;
  const e = resolveOn(from, host);
  if (!e) return undefined;
  if (!from.net.sourceFor(e.ip)) return undefined;
  const bmc = w.bmcs.find((b) => b.ip === e.ip);
  const pdu = w.pdus.find((p) => p.ip === e.ip);
  return { ip: e.ip, ...(bmc ? { bmc } : {}), ...(pdu ? { pdu } : {}) };
}

/** Usage-style failure of a python agent (fencing.py fail_usage). */
const usage = (msg: string): AgentRun => ({
  ok: false,
  code: 1,
  stdout: '',
  stderr: `${msg}\nPlease use '-h' for usage\n`,
  ms: 0,
});

/**
 * Plan a run of `agent` from node `from` with `o`: its outcome given the world now, its duration and
 * its effect. Nothing changes until `apply()` is called.
 */
export function planAgent(w: World, from: LabNode, agent: string, o: AgentOpts): AgentRun {
  const def = FENCE_AGENTS[agent];
  if (!def) return { ok: false, code: 1, stdout: '', stderr: `${agent}: unknown fence agent\n`, ms: 0 };
  const action = (o.action ?? 'reboot').toLowerCase();
  if (def.style === 'ipmi') return planIpmi(w, from, o, action);
  if (def.style === 'xvm') {
    // NOTE: no fence_virtd listens anywhere in the lab (the nodes are not guests).
    return {
      ok: false,
      code: 1,
      stdout: '',
      stderr: 'Timed out waiting for response\nOperation failed\n',
      ms: AGENT_MS.pyLoginTimeout,
    };
  }
  if (!ACTIONS.includes(action)) return usage(`Failed: Unrecognised action '${action}'`);
  if (def.login && o.login === undefined) return usage('Failed: You have to set login name');
  if (o.ipaddr === undefined) return usage('Failed: You have to enter fence address');
  if (def.login && o.passwd === undefined && o.passwd_script === undefined)
    return usage('Failed: You have to enter password or password script');
  if (def.port && !['list', 'monitor'].includes(action) && o.port === undefined)
    return usage('Failed: You have to enter plug number');
  const snmp = agent === 'fence_apc_snmp';
  const lost: AgentRun = snmp
    ? { ok: false, code: 1, stdout: '', stderr: 'Connection timed out\n', ms: AGENT_MS.snmpTimeout }
    : {
        ok: false,
        code: 1,
        stdout: '',
        stderr: 'Unable to connect/login to fencing device\n',
        ms: AGENT_MS.pyLoginTimeout,
      };
  const dev = reach(w, from, o.ipaddr);
  if (def.kind === 'pdu') {
    const p = dev?.pdu;
    if (!p || !p.up) return lost;
    if (!snmp && !credentialsOk(p, o.login, o.passwd)) return lost;
    const ms = (x: number) => (snmp ? AGENT_MS.snmp : x);
    if (action === 'list') {
      const lines = Array.from({ length: 8 }, (_, i) => `${i + 1},Outlet ${i + 1}\n`).join('');
      return { ok: true, code: 0, stdout: lines, stderr: '', ms: ms(AGENT_MS.pyStatus) };
    }
    if (action === 'monitor') return { ok: true, code: 0, stdout: '', stderr: '', ms: ms(AGENT_MS.pyStatus) };
    const port = String(Number(o.port));
    if (!/^\d+$/.test(o.port ?? '') || Number(port) < 1 || Number(port) > 24) {
      return {
        ok: false,
        code: 1,
        stdout: '',
        stderr: 'Failed: Unable to obtain correct plug status or plug is not available\n',
        ms: ms(AGENT_MS.pyStatus),
      };
    }
    const on = outletOn(p, port);
    return pyResult(
      action,
      on,
      ms(action === 'reboot' ? AGENT_MS.pyReboot : AGENT_MS.pyOnOff),
      ms(AGENT_MS.pyStatus),
      (want) => {
        if (want === 'reboot') {
          setOutlet(w, p, port, false);
          setOutlet(w, p, port, true);
        } else setOutlet(w, p, port, want === 'on');
      },
    );
  }
  if (def.kind === 'virt') return lost; // NOTE: no hypervisor hosts the lab's nodes.
  const b = dev?.bmc;
  if (!b || !bmcAlive(w, b) || !credentialsOk(b, o.login, o.passwd)) return lost;
  const n = w.nodes[b.node];
  if (!n) return lost;
  if (action === 'list') return { ok: true, code: 0, stdout: 'N/A\n', stderr: '', ms: 0 };
  return pyResult(action, n.power === 'on', AGENT_MS.pyReboot, AGENT_MS.pyStatus, (want) => bmcAct(w, n, want));
}

function bmcAct(w: World, n: LabNode, want: 'on' | 'off' | 'reboot'): void {
  if (want === 'on') powerOn(w, n);
  else chassisOff(w, n, want === 'reboot');
}

/** fencing.py's fence_action outputs for a device whose power state is `on`. */
function pyResult(
  action: string,
  on: boolean,
  actMs: number,
  statusMs: number,
  act: (want: 'on' | 'off' | 'reboot') => void,
): AgentRun {
  switch (action) {
    case 'status':
      return { ok: on, code: on ? 0 : 2, stdout: `Status: ${on ? 'ON' : 'OFF'}\n`, stderr: '', ms: statusMs };
    case 'monitor':
      return { ok: true, code: 0, stdout: '', stderr: '', ms: statusMs };
    case 'on':
      if (on) return { ok: true, code: 0, stdout: 'Success: Already ON\n', stderr: '', ms: statusMs };
      return { ok: true, code: 0, stdout: 'Success: Powered ON\n', stderr: '', ms: actMs, apply: () => act('on') };
    case 'off':
      if (!on) return { ok: true, code: 0, stdout: 'Success: Already OFF\n', stderr: '', ms: statusMs };
      return { ok: true, code: 0, stdout: 'Success: Powered OFF\n', stderr: '', ms: actMs, apply: () => act('off') };
    default:
      return { ok: true, code: 0, stdout: 'Success: Rebooted\n', stderr: '', ms: actMs, apply: () => act('reboot') };
  }
}

/** fence_ipmilan (C, 3.1.5): `Rebooting machine @ IPMI:<ip>...Done`, exit codes 0/1 (status off: 2). */
function planIpmi(w: World, from: LabNode, o: AgentOpts, action: string): AgentRun {
  const fail = (msg: string): AgentRun => ({ ok: false, code: 1, stdout: '', stderr: `failed: ${msg}\n`, ms: 0 });
  if (!o.ipaddr) return fail('no IP address specified');
  if (!['on', 'off', 'reboot', 'status', 'monitor', 'list', 'diag'].includes(action))
    return fail("operation must be 'on', 'off', 'status', 'reboot', 'diag', 'list', 'monitor' or 'metadata'");
  if (action === 'list') return { ok: true, code: 0, stdout: 'N/A\n', stderr: '', ms: 0 };
  const ip = o.ipaddr;
  const head =
    action === 'reboot'
      ? `Rebooting machine @ IPMI:${ip}...`
      : action === 'on'
        ? `Powering on machine @ IPMI:${ip}...`
        : action === 'off'
          ? `Powering off machine @ IPMI:${ip}...`
          : action === 'diag'
            ? `Pulsing diagnostic interrupt to machine @ IPMI:${ip}...`
            : `Getting status of IPMI:${ip}...`;
  const dev = reach(w, from, ip);
  const b = dev?.bmc;
  const n = b ? w.nodes[b.node] : undefined;
  if (!b || !n || !bmcAlive(w, b) || !credentialsOk(b, o.login, o.passwd)) {
    // NOTE: ipmitool retries "Unable to establish LAN session" (also what a wrong password gives) until the timeout.
    const t = Number(o.timeout) > 0 ? Number(o.timeout) : AGENT_MS.ipmiTimeout / 1000;
    const st = action === 'status' ? 'Chassis power = Unknown\n' : '';
    return {
      ok: false,
      code: 1,
      stdout: `${head}${st}Failed\n`,
      stderr: `ipmilan: Failed to connect after ${t} seconds\n`,
      ms: t * 1000,
    };
  }
  const on = n.power === 'on';
  switch (action) {
    case 'status':
      return {
        ok: on,
        code: on ? 0 : 2,
        stdout: `${head}Chassis power = ${on ? 'On' : 'Off'}\nDone\n`,
        stderr: '',
        ms: AGENT_MS.ipmiStatus,
      };
    case 'monitor':
      return { ok: true, code: 0, stdout: `${head}Done\n`, stderr: '', ms: AGENT_MS.ipmiStatus };
    case 'on':
      return {
        ok: true,
        code: 0,
        stdout: `${head}Done\n`,
        stderr: '',
        ms: on ? AGENT_MS.ipmiStatus : AGENT_MS.ipmiOnOff,
        apply: () => powerOn(w, n),
      };
    case 'off':
      return {
        ok: true,
        code: 0,
        stdout: `${head}Done\n`,
        stderr: '',
        ms: on ? AGENT_MS.ipmiOnOff : AGENT_MS.ipmiStatus,
        apply: () => chassisOff(w, n, false),
      };
    case 'diag':
      return { ok: true, code: 0, stdout: `${head}Done\n`, stderr: '', ms: AGENT_MS.ipmiStatus };
    default:
      return {
        ok: true,
        code: 0,
        stdout: `${head}Done\n`,
        stderr: '',
        ms: AGENT_MS.ipmiReboot,
        apply: () => chassisOff(w, n, true),
      };
  }
}

// ---------- the programs ----------

/** Python agents' short options that take a value → stdin names. */
const PY_SHORT: Record<string, string> = {
  a: 'ipaddr',
  l: 'login',
  p: 'passwd',
  S: 'passwd_script',
  n: 'port',
  o: 'action',
  u: 'ipport',
  c: 'community',
  d: 'snmp_version',
  f: 'delay',
  s: 'switch',
  k: 'identity_file',
  m: 'module_name',
  G: 'power_wait',
  g: 'power_timeout',
  y: 'login_timeout',
  Y: 'shell_timeout',
  C: 'separator',
  b: 'snmp_auth_prot',
  E: 'snmp_sec_level',
  B: 'snmp_priv_prot',
  P: 'snmp_priv_passwd',
  R: 'snmp_priv_passwd_script',
  D: 'debug',
  U: 'uuid',
  r: 'ribcl',
  e: 'exec',
};
const PY_LONG: Record<string, string> = {
  ip: 'ipaddr',
  username: 'login',
  password: 'passwd',
  'password-script': 'passwd_script',
  plug: 'port',
  action: 'action',
  ipport: 'ipport',
  community: 'community',
  'snmp-version': 'snmp_version',
  delay: 'delay',
  'power-wait': 'power_wait',
  'power-timeout': 'power_timeout',
  'login-timeout': 'login_timeout',
  'shell-timeout': 'shell_timeout',
  'command-prompt': 'cmd_prompt',
  'identity-file': 'identity_file',
  separator: 'separator',
};
const PY_FLAGS: Record<string, string> = {
  x: 'secure',
  z: 'ssl',
  v: 'verbose',
  q: 'quiet',
  '4': 'inet4_only',
  '6': 'inet6_only',
  M: 'missing_as_off',
  T: 'test',
};
/** fence_ipmilan's getopt string "A:a:i:l:p:S:Po:vV?hHt:T:C:M:f:". */
const IPMI_SHORT: Record<string, string> = {
  A: 'auth',
  a: 'ipaddr',
  i: 'ipaddr',
  l: 'login',
  p: 'passwd',
  S: 'passwd_script',
  o: 'action',
  t: 'timeout',
  T: 'power_wait',
  C: 'cipher',
  M: 'method',
  f: 'delay',
};
/** stdin names each style understands (others: the python agents warn and ignore them). */
const PY_STDIN = new Set([
  ...Object.values(PY_SHORT),
  ...Object.values(PY_FLAGS),
  'agent',
  'nodename',
  'cmd_prompt',
  'option',
  'hostname',
  'blade',
  'fm',
  'modulename',
]);

/** Parse an agent's options: the command line when there is one, else `name=value` lines on stdin. */
export function agentOptions(
  argv: string[],
  stdin: string,
  style: AgentDef['style'],
): { opts: AgentOpts; warn: string; error?: string } {
  const opts: AgentOpts = {};
  let warn = '';
  if (argv.length > 1) {
    const short = style === 'ipmi' ? IPMI_SHORT : PY_SHORT;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      if (a.startsWith('--') && style !== 'ipmi') {
        const eq = a.indexOf('=');
        const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
        const key = PY_LONG[name];
        if (key) opts[key] = eq > 0 ? a.slice(eq + 1) : argv[++i];
        else if (['ssh', 'ssl', 'verbose', 'quiet', 'help', 'version'].includes(name)) opts[name] = '1';
        else return { opts, warn, error: `Parse error: option --${name} not recognized\nPlease use '-h' for usage\n` };
        continue;
      }
      if (a.startsWith('-') && a.length > 1) {
        for (let j = 1; j < a.length; j++) {
          const c = a[j];
          if (short[c]) {
            opts[short[c]] = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
            break;
          }
          if (style === 'ipmi' && c === 'P') opts.lanplus = '1';
          else if (style !== 'ipmi' && PY_FLAGS[c]) opts[PY_FLAGS[c]] = '1';
          else if (c === 'v' || c === 'V' || c === 'h') opts[c] = '1';
          else
            return {
              opts,
              warn,
              error:
                style === 'ipmi'
                  ? `${argv[0].split('/').pop()}: invalid option -- '${c}'\n`
                  : `Parse error: option -${c} not recognized\nPlease use '-h' for usage\n`,
            };
        }
      }
    }
    return { opts, warn };
  }
  for (const raw of stdin.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    let name = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '1' : line.slice(eq + 1);
    if (name === 'option' || name === 'operation') name = 'action';
    if (name === 'hostname') name = 'ipaddr';
    if (name === 'user' && style === 'ipmi') name = 'login';
    if (name === 'blade' || name === 'fm') name = 'port';
    if (style === 'py' && !PY_STDIN.has(name) && name !== 'action') {
      warn += `Parse error: Ignoring unknown option '${line}'\n`;
      continue;
    }
    opts[name] = value;
  }
  return { opts, warn };
}

/** The program behind /usr/sbin/<agent>. */
function agentCommand(agent: string): CommandFn {
  return async (ctx) => {
    const def = FENCE_AGENTS[agent];
    const { opts, warn, error } = agentOptions(ctx.argv, ctx.stdin, def.style);
    if (warn) ctx.err(warn);
    if (error) {
      ctx.err(error);
      return 1;
    }
    if (opts.h) {
      ctx.out(`Usage:\n\t${agent} [options]\n`);
      return 0;
    }
    const w = worldOf(ctx.node);
    const first = planAgent(w, ctx.node, agent, opts);
    // NOTE: the agent takes lab time; the world moves on meanwhile (as `sleep` does).
    await labWait(w, first.ms);
    const r = first.ms > 0 ? planAgent(w, ctx.node, agent, opts) : first;
    // NOTE: what the agent reports is what it saw at its end (a device can die while it waits).
    r.apply?.();
    ctx.node.world.changed();
    ctx.out(r.stdout);
    ctx.err(r.stderr);
    return r.code;
  };
}

/** Every fence agent as a program, by name. */
export const AGENT_PROGRAMS: Readonly<Record<string, CommandFn>> = Object.fromEntries(
  Object.keys(FENCE_AGENTS).map((agent) => [agent, agentCommand(agent)]),
);
