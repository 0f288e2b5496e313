/**
 * A real IPMI BMC for the fence agents: OpenIPMI's `ipmi_sim` (Debian `openipmi`) in a network
 * namespace, speaking IPMI 1.5 and 2.0 (lanplus) on UDP 623 at the BMC's address, with one
 * administrator from the answers. Its chassis power control is a script that keeps the power state
 * in a file and logs every call, so a test sees what the agent really asked the BMC to do; the same
 * script can be told to answer slowly.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { Netns, stop } from './netns.js';

/** A running simulated BMC. */
export interface Bmc {
  ns: Netns;
  ip: string;
  dir: string;
  /** Power state as the chassis script holds it. */
  power(): 'on' | 'off';
  setPower(state: 'on' | 'off'): void;
  /** The chassis-control calls so far (`get power`, `set power 0`, ...), in order. */
  calls(): string[];
  /** Seconds the chassis script waits before each answer (a slow BMC). */
  setDelay(seconds: number): void;
  /** Stop ipmi_sim (the BMC no longer answers). */
  kill(): Promise<void>;
}

/** ipmi_sim's config cannot quote a space or `$`: refuse such values instead of writing a broken BMC. */
function confWord(v: string, what: string): string {
  if (!/^[\x21-\x7e]+$/.test(v) || /["$#]/.test(v)) throw new Error(`${what} "${v}" cannot be written to lan.conf`);
  return v;
}

/** Start `ipmi_sim` in `ns`, listening on `ip`:623, with user `login`/`passwd` (admin). */
export async function startBmc(ns: Netns, dir: string, ip: string, login: string, passwd: string): Promise<Bmc> {
  const powerFile = join(dir, 'power');
  const callsFile = join(dir, 'calls.log');
  const delayFile = join(dir, 'delay');
  writeFileSync(powerFile, '1\n');
  writeFileSync(callsFile, '');
  writeFileSync(delayFile, '0\n');
  const script = join(dir, 'chassis.sh');
  // NOTE: ipmi_sim runs this for every chassis request and reads "power:N" back from `get power`.
  writeFileSync(
    script,
    `#!/bin/sh
d=$(cat ${delayFile}); [ "$d" = 0 ] || sleep "$d"
echo "$*" >> ${callsFile}
case "$*" in
  *"get power"*) echo "power:$(cat ${powerFile})" ;;
  *"set power 0"*) echo 0 > ${powerFile} ;;
  *"set power 1"*) echo 1 > ${powerFile} ;;
esac
exit 0
`,
  );
  chmodSync(script, 0o755);
  const auths = 'none md2 md5 straight';
  writeFileSync(
    join(dir, 'lan.conf'),
    `name "anvr_bmc"
set_working_mc 0x20
  startlan 1
    addr ${ip} 623
    priv_limit admin
    allowed_auths_callback ${auths}
    allowed_auths_user ${auths}
    allowed_auths_operator ${auths}
    allowed_auths_admin ${auths}
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${script}"
  user 1 true "" "unused" user 10 ${auths}
  user 2 true "${confWord(login, 'login')}" "${confWord(passwd, 'password')}" admin 10 ${auths}
`,
  );
  writeFileSync(
    join(dir, 'bmc.emu'),
    `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
`,
  );
  const state = join(dir, 'state');
  let child: ChildProcess | null = ns.spawn(
    ['ipmi_sim', '-n', '-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', state],
    join(dir, 'ipmi_sim.log'),
  );
  // NOTE: wait until the UDP socket is bound (ss in the namespace), not a fixed sleep.
  for (let i = 0; i < 100; i++) {
    const r = await ns.run(['ss', '-uln', `sport = :623`]);
    if (r.stdout.includes(`${ip}:623`)) break;
    if (child.exitCode !== null) break;
    await sleep(20);
  }
  if (child.exitCode !== null)
    throw new Error(
      `ipmi_sim exited: ${existsSync(join(dir, 'ipmi_sim.log')) ? readFileSync(join(dir, 'ipmi_sim.log'), 'utf8') : ''}`,
    );
  return {
    ns,
    ip,
    dir,
    power: () => (readFileSync(powerFile, 'utf8').trim() === '1' ? 'on' : 'off'),
    setPower: (s) => writeFileSync(powerFile, s === 'on' ? '1\n' : '0\n'),
    calls: () => readFileSync(callsFile, 'utf8').split('\n').filter(Boolean),
    setDelay: (s) => writeFileSync(delayFile, `${s}\n`),
    kill: async () => {
      if (child) await stop(child);
      child = null;
    },
  };
}
