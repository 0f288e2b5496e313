/**
 * The power model under fencing: a node's PSU(s) fed by switched-PDU outlets (or by a plain wall
 * socket when no outlet is cabled to it), its IPMI BMC powered from that PSU, and the acts the fence
 * agents perform (outlet on/off, chassis on/off). A node whose acpid runs treats an IPMI power-off as
 * a power-button press: a graceful shutdown of a few seconds (tutorial 1195), during which it still
 * runs and can fence its peer.
 */
import { createHash } from 'node:crypto';
import type { Bmc, Pdu, World } from '../world/world.js';
import type { LabNode } from '../node/node.js';

/** Lab time an acpid-driven graceful shutdown takes (the tutorial's "four seconds", 1195). */
export const ACPI_SHUTDOWN_MS = 4000;

/** How a secret is kept in the world (never in clear): salted SHA-256. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(`anvil-lab-bmc:${secret}`).digest('hex');
}

/** Whether `login`/`passwd` open this BMC or PDU (no credentials stored = any). */
export function credentialsOk(
  dev: { login?: string; passHash?: string },
  login: string | undefined,
  passwd: string | undefined,
): boolean {
  if (dev.login !== undefined && dev.login !== login) return false;
  if (dev.passHash !== undefined && dev.passHash !== secretHash(passwd ?? '')) return false;
  return true;
}

/** Outlets (pdu, port) cabled to a node. */
export function outletsOf(w: World, node: string): { pdu: Pdu; port: string }[] {
  const out: { pdu: Pdu; port: string }[] = [];
  for (const p of w.pdus) for (const [port, n] of Object.entries(p.outlets)) if (n === node) out.push({ pdu: p, port });
  return out;
}

/** Whether a PDU outlet is switched on. */
export function outletOn(p: Pdu, port: string): boolean {
  return !(p.off ?? []).includes(port);
}

/** The node's PSU has mains power: cords in, and (when cabled to PDUs) at least one outlet on. */
export function hasMains(w: World, node: string): boolean {
  if ((w.unplugged ?? []).includes(node)) return false;
  const outs = outletsOf(w, node);
  return !outs.length || outs.some((o) => outletOn(o.pdu, o.port));
}

/** The BMC answers: not failed by a fault, and its node's PSU has power. */
export function bmcAlive(w: World, b: Bmc): boolean {
  return b.up && hasMains(w, b.node);
}

/**
 * Lab time from power-on to init starting the runlevel's services: the server's firmware POST, the
 * boot loader, the kernel and rc.sysinit. The lab's assumption, bounded by the tutorial: an-node01,
 * fenced at 21:26:14-15 (`fence_node ... success`, 4983-4989), is "Online, rgmanager" again in the
 * clustat of 21:28:00 (5019-5023), so power-on to cman and rgmanager took at most 105 s; 90 s leaves
 * the services' own start inside that. It is what keeps a late fence harmless: rhcs_fence's longest
 * delay (30 s, `sleep_a_bit()`) ends while the node its peer's fenced rebooted is still in POST, and
 * a second reboot of a node in POST only starts its POST again (what a BMC's chassis power cycle does).
 */
export const POWER_ON_BOOT_MS = 90_000;

/** Power on a node if it is off and has mains (BIOS "power on after AC loss" / chassis on): POST, then boot. */
export function powerOn(w: World, n: LabNode): void {
  if (n.power !== 'off' || !hasMains(w, n.name)) return;
  n.power = 'on';
  n.hung = false;
  n.post = w.now() + POWER_ON_BOOT_MS;
  w.schedule(POWER_ON_BOOT_MS, 'power.boot', { node: n.name, at: n.post });
  w.changed();
}

/** The end of POST (timer `power.boot`): init starts, unless the node lost power since (a newer POST). */
export function postDone(w: World, data: unknown): void {
  const d = data as { node: string; at: number };
  const n = w.nodes[d.node];
  if (n && n.power === 'on' && n.post === d.at) n.boot();
}

/** Mains went away: the node drops at once (no graceful anything). */
export function mainsLost(w: World, n: LabNode): void {
  if (!hasMains(w, n.name)) n.powerOff();
}

/** Switch an outlet; the node behind it loses or regains power. */
export function setOutlet(w: World, p: Pdu, port: string, on: boolean): void {
  const off = new Set(p.off ?? []);
  if (on) off.delete(port);
  else off.add(port);
  if (off.size) p.off = [...off].sort((a, b) => Number(a) - Number(b));
  else delete p.off;
  const node = p.outlets[port];
  const n = node ? w.nodes[node] : undefined;
  if (!n) return;
  if (on) powerOn(w, n);
  else mainsLost(w, n);
}

/**
 * A chassis power-off through the BMC. With acpid running the node shuts down gracefully and stays
 * up for ACPI_SHUTDOWN_MS (then powers off, and on again when `thenOn`); otherwise it drops at once.
 */
export function chassisOff(w: World, n: LabNode, thenOn: boolean): void {
  if (n.power === 'off') {
    if (thenOn) powerOn(w, n);
    return;
  }
  if (n.running && n.isRunning('acpid')) {
    n.log('acpid', 'client connected from 0[0:0]');
    n.log('shutdown[1]', 'shutting down for system halt');
    w.schedule(ACPI_SHUTDOWN_MS, 'cluster.acpi-off', { node: n.name, boot: n.bootTime, thenOn });
    return;
  }
  n.powerOff();
  if (thenOn) powerOn(w, n);
}

/**
 * The end of an acpid-driven shutdown (timer `cluster.acpi-off`): the node's K scripts run (each
 * subsystem's `nodeShutdown`: cman leaves the cluster), then the power goes, and comes back when the
 * agent asked for a reboot.
 */
export function acpiOff(w: World, data: unknown): void {
  const d = data as { node: string; boot: number; thenOn: boolean };
  const n = w.nodes[d.node];
  if (!n || n.power === 'off' || n.bootTime !== d.boot) return;
  if (n.running) w.nodeShutdown(n);
  n.powerOff();
  if (d.thenOn) powerOn(w, n);
}
