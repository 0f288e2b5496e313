/**
 * What a fence agent's output and exit code mean, in both forms a node may have:
 * - the python agents on fencing.py (EL6's fence_apc_snmp, fence_ilo, ...; and fence_ipmilan itself
 *   from fence-agents 4.x on): `Status: ON` / `Status: OFF` (exit 0 / 2), `Success: Powered OFF`,
 *   `Success: Already OFF`, `Success: Rebooted`; failures exit 1 with `Failed: ...` (4.x logs it as
 *   `<date> ERROR: Failed: ...`);
 * - EL6's C fence_ipmilan (fence-agents 3.1.5, fence/agents/ipmilan/ipmilan.c, main()):
 *   `Getting status of IPMI:<ip>...Chassis power = On` then `Done` (exit 0; Off: exit 2; Unknown:
 *   `Failed`, exit 1), and `Powering off machine @ IPMI:<ip>...Done` / `Powering on ...` /
 *   `Rebooting machine @ IPMI:<ip>...Done`, or `...Failed` with exit 1.
 * Checked against the real fence_ipmilan 4.12 and ipmi_sim in test/real/fence-ipmilan*.
 */

/** Which agent family printed the output. */
export type AgentForm = 'fencing.py' | 'ipmilan-3.1' | 'unknown';

/** A status read. `power` is undefined when the agent could not tell (a failure). */
export interface AgentStatus {
  power?: 'on' | 'off';
  form: AgentForm;
  /** The line that says it (or the failure), for evidence and messages. */
  line: string;
}

/** The outcome of an on/off/reboot. */
export interface AgentAction {
  ok: boolean;
  form: AgentForm;
  line: string;
}

/** Lines that are not the agent's answer: python warnings on stderr (4.x on Python 3.11: `pipes`). */
const NOISE = /DeprecationWarning|^\s*from pipes import|^\s*import pipes/;

function lines(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !NOISE.test(l));
}

/** The most telling line of a failed run: a `Failed`/`ERROR` line, else the last line. */
function failureLine(out: string, code: number | null): string {
  const ls = lines(out);
  return ls.find((l) => /Failed|ERROR|Unable|timed out/i.test(l)) ?? ls.pop() ?? `exit code ${code}`;
}

/** Read `action=status` output and exit code. */
export function parseAgentStatus(code: number | null, out: string): AgentStatus {
  for (const l of lines(out)) {
    const py = /^Status: (ON|OFF)$/.exec(l.trim());
    if (py) {
      const power = py[1] === 'ON' ? 'on' : 'off';
      if ((power === 'on' && code === 0) || (power === 'off' && code === 2))
        return { power, form: 'fencing.py', line: l.trim() };
    }
    const c = /Chassis power = (On|Off)$/.exec(l);
    if (c) {
      const power = c[1] === 'On' ? 'on' : 'off';
      if ((power === 'on' && code === 0) || (power === 'off' && code === 2))
        return { power, form: 'ipmilan-3.1', line: `Chassis power = ${c[1]}` };
    }
  }
  return { form: /Chassis power =|IPMI:/.test(out) ? 'ipmilan-3.1' : 'unknown', line: failureLine(out, code) };
}

const PY_OK: Record<'on' | 'off' | 'reboot', RegExp> = {
  on: /^Success: (Powered|Already) ON$/,
  off: /^Success: (Powered|Already) OFF$/,
  reboot: /^Success: Rebooted$/,
};
const C_OK: Record<'on' | 'off' | 'reboot', RegExp> = {
  on: /^Powering on machine @ IPMI:\S+\.\.\.Done$/,
  off: /^Powering off machine @ IPMI:\S+\.\.\.Done$/,
  reboot: /^Rebooting machine @ IPMI:\S+\.\.\.Done$/,
};

/** Did `action` succeed? Exit 0 and the success line of either form; anything else is a failure. */
export function parseAgentAction(action: 'on' | 'off' | 'reboot', code: number | null, out: string): AgentAction {
  for (const l of lines(out)) {
    if (PY_OK[action].test(l.trim())) return { ok: code === 0, form: 'fencing.py', line: l.trim() };
    if (C_OK[action].test(l.trim())) return { ok: code === 0, form: 'ipmilan-3.1', line: l.trim() };
  }
  return {
    ok: false,
    form: /@ IPMI:/.test(out) ? 'ipmilan-3.1' : /Success:|Failed:/.test(out) ? 'fencing.py' : 'unknown',
    line: failureLine(out, code),
  };
}
