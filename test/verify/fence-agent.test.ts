/**
 * Both forms of fence agent output. The fencing.py lines are the real fence_ipmilan 4.12's (seen in
 * test/real/fence-ipmilan*, with its Python 3.11 warning on stderr); the C fence_ipmilan lines are
 * built from fence-agents v3.1.5's fence/agents/ipmilan/ipmilan.c main(): a `printf("... @ IPMI:%s...")`
 * without a newline, then `Done`/`Failed`; status prints `Chassis power = On|Off|Unknown`; exit codes
 * ERR_STATUS_ON 0, ERR_STATUS_OFF 2, ERR_STATUS_FAIL 1, failures 1.
 */
import { describe, expect, it } from 'vitest';
import { parseAgentAction, parseAgentStatus } from '../../src/verify/fence-agent.js';

const WARN =
  "/usr/sbin/fence_ipmilan:5: DeprecationWarning: 'pipes' is deprecated and slated for removal in Python 3.13\n  from pipes import quote";

describe('parseAgentStatus', () => {
  it('fencing.py: Status: ON exit 0, Status: OFF exit 2, behind the 4.x warning', () => {
    expect(parseAgentStatus(0, `Status: ON\n${WARN}`)).toEqual({ power: 'on', form: 'fencing.py', line: 'Status: ON' });
    expect(parseAgentStatus(2, `Status: OFF\n${WARN}`)).toEqual({
      power: 'off',
      form: 'fencing.py',
      line: 'Status: OFF',
    });
  });
  it('C fence_ipmilan 3.1.5: Chassis power = On/Off with Done', () => {
    expect(parseAgentStatus(0, 'Getting status of IPMI:10.20.1.1...Chassis power = On\nDone\n')).toEqual({
      power: 'on',
      form: 'ipmilan-3.1',
      line: 'Chassis power = On',
    });
    expect(parseAgentStatus(2, 'Getting status of IPMI:10.20.1.1...Chassis power = Off\nDone\n').power).toBe('off');
  });
  it('failures: no power state, the failure line kept', () => {
    const st = parseAgentStatus(
      1,
      `${WARN}\n2026-12-07 13:24:34,497 ERROR: Failed: Unable to obtain correct plug status or plug is not available\n\n`,
    );
    expect(st.power).toBeUndefined();
    expect(st.line).toBe(
      '2026-12-07 13:24:34,497 ERROR: Failed: Unable to obtain correct plug status or plug is not available',
    );
    expect(parseAgentStatus(1, 'Getting status of IPMI:10.20.1.1...Chassis power = Unknown\nFailed\n')).toEqual({
      form: 'ipmilan-3.1',
      line: 'Failed',
    });
  });
  it('an answer that contradicts its exit code is not believed', () => {
    expect(parseAgentStatus(1, 'Status: ON\n').power).toBeUndefined();
    expect(parseAgentStatus(0, 'Getting status of IPMI:x...Chassis power = Off\nDone\n').power).toBeUndefined();
  });
});

describe('parseAgentAction', () => {
  it('fencing.py success lines', () => {
    expect(parseAgentAction('off', 0, `Success: Powered OFF\n${WARN}`)).toEqual({
      ok: true,
      form: 'fencing.py',
      line: 'Success: Powered OFF',
    });
    expect(parseAgentAction('off', 0, 'Success: Already OFF\n').ok).toBe(true);
    expect(parseAgentAction('on', 0, 'Success: Powered ON\n').ok).toBe(true);
    expect(parseAgentAction('reboot', 0, 'Success: Rebooted\n').ok).toBe(true);
  });
  it('C fence_ipmilan 3.1.5: "...Done" on the action line', () => {
    expect(parseAgentAction('off', 0, 'Powering off machine @ IPMI:an-node01.ipmi...Done\n')).toEqual({
      ok: true,
      form: 'ipmilan-3.1',
      line: 'Powering off machine @ IPMI:an-node01.ipmi...Done',
    });
    expect(parseAgentAction('reboot', 0, 'Rebooting machine @ IPMI:10.20.1.1...Done\n').ok).toBe(true);
    expect(parseAgentAction('on', 0, 'Powering on machine @ IPMI:10.20.1.1...Done\n').ok).toBe(true);
  });
  it('failures and mismatches', () => {
    expect(parseAgentAction('off', 1, 'Powering off machine @ IPMI:10.20.1.1...Failed\n')).toEqual({
      ok: false,
      form: 'ipmilan-3.1',
      line: 'Powering off machine @ IPMI:10.20.1.1...Failed',
    });
    expect(parseAgentAction('off', 0, 'Success: Powered ON\n').ok).toBe(false);
    expect(parseAgentAction('off', 1, 'Success: Powered OFF\n').ok).toBe(false);
    expect(parseAgentAction('off', 1, 'Connection timed out\n')).toEqual({
      ok: false,
      form: 'unknown',
      line: 'Connection timed out',
    });
  });
});
