/**
 * Whether a packet from one node reaches an address: a local address, or a working interface on the
 * same subnet at both ends (the switches are uplinked, so any two live ports can talk).
 */
import type { LabNode } from './node.js';

/** Where a connection to `ip` lands, or the errno text the client would print. */
export type RouteResult =
  { node: LabNode; srcIp: string; local: boolean } | { error: 'No route to host' | 'Network is unreachable' };

/** Route from `from` to `ip` across the world's nodes. */
export function route(from: LabNode, ip: string, nodes: LabNode[]): RouteResult {
  if (ip.startsWith('127.')) return { node: from, srcIp: '127.0.0.1', local: true };
  if (from.net.ifaceOf(ip)) return { node: from, srcIp: ip, local: true };
  const src = from.net.sourceFor(ip);
  if (!src) {
    const viaGw = from.net.state.routes.some((r) => r.dest === 'default' && from.net.operational(r.dev));
    return { error: viaGw ? 'No route to host' : 'Network is unreachable' };
  }
  const target = nodes.find((n) => n !== from && n.net.ifaceOf(ip));
  if (!target || !target.running) return { error: 'No route to host' };
  const ti = target.net.ifaceOf(ip)!;
  if (!target.net.operational(ti.name)) return { error: 'No route to host' };
  return { node: target, srcIp: src.ip, local: false };
}
