/**
 * The power subsystem of the lab: mains, PSUs and switched-PDU outlets, and the IPMI BMCs they feed
 * (power.ts). Its faults pull a node's cords, silence a BMC or a PDU and re-cable an outlet; its timer
 * ends an ACPI shutdown. The BMCs and PDUs themselves are world data (seeded from the answers).
 */
import type { LabSubsystem } from '../world/world.js';
import { acpiOff, mainsLost, outletOn, postDone, powerOn } from './power.js';

/** The power subsystem. */
export const power: LabSubsystem = {
  name: 'power',
  timers: { 'cluster.acpi-off': acpiOff, 'power.boot': postDone },
  faults: {
    power(w, f) {
      const n = w.node(f.node);
      // NOTE: pulling the cords also kills the BMC (it lives on the node's PSU, tutorial 1768).
      if (f.on) {
        w.unplugged = w.unplugged.filter((x) => x !== f.node);
        powerOn(w, n);
      } else {
        if (!w.unplugged.includes(f.node)) w.unplugged.push(f.node);
        n.powerOff();
      }
    },
    bmc(w, f) {
      const b = w.bmcs.find((x) => x.node === f.node);
      if (!b) throw new Error(`${f.node} has no BMC`);
      b.up = f.up;
    },
    pdu(w, f) {
      const p = w.pdus.find((x) => x.name === f.pdu);
      if (!p) throw new Error(`no PDU named ${f.pdu}`);
      p.up = f.up;
    },
    outlet(w, f) {
      const p = w.pdus.find((x) => x.name === f.pdu);
      if (!p) throw new Error(`no PDU named ${f.pdu} (PDUs: ${w.pdus.map((x) => x.name).join(', ') || 'none'})`);
      w.node(f.node);
      const old = p.outlets[f.port];
      p.outlets[f.port] = f.node;
      // NOTE: the node plugged in gets this outlet's power; the one unplugged may lose its last feed.
      const was = old ? w.nodes[old] : undefined;
      if (was) mainsLost(w, was);
      if (outletOn(p, f.port)) powerOn(w, w.node(f.node));
    },
  },
};
