/** Parser of `virsh net-list --all` (libvirt 0.9/0.10 on EL6). */

/** One libvirt network. */
export interface VirshNet {
  name: string;
  state: string;
  autostart: string;
}

/** Parse the table under the `Name State Autostart` header and its dashed rule. */
export function parseVirshNetList(text: string): VirshNet[] {
  const out: VirshNet[] = [];
  let body = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^-{5,}$/.test(line)) {
      body = true;
      continue;
    }
    if (!body || !line) continue;
    const [name, state, autostart] = line.split(/\s+/);
    if (name) out.push({ name, state: state ?? '', autostart: autostart ?? '' });
  }
  return out;
}
