/**
 * virsh (libvirt 0.10): the network subcommands the tutorial uses (net-list, net-destroy,
 * net-autostart, net-undefine, net-start, net-define). A subsystem builds its own virsh from these and
 * its subcommands with `virshWith` (the domain subcommands live in `src/lab/virt/virsh-domain.ts`).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';

/** One virsh subcommand: gets its own arguments; prints; returns the exit code. */
export type VirshSub = (ctx: CmdCtx, args: string[]) => number | Promise<number>;

function notFound(ctx: CmdCtx, name: string): number {
  ctx.err(
    `error: failed to get network '${name}'\nerror: Network not found: no network with matching name '${name}'\n`,
  );
  ctx.out('\n');
  return 1;
}

/** virsh subcommands by name. */
export const VIRSH: Readonly<Record<string, VirshSub>> = {
  'net-list': (ctx, args) => {
    const v = ctx.node.virt;
    const all = args.includes('--all');
    const inactive = args.includes('--inactive');
    let out = `${'Name'.padEnd(20)} ${'State'.padEnd(10)} ${'Autostart'.padEnd(13)} Persistent\n${'-'.repeat(50)}\n`;
    for (const n of v.defined()) {
      const active = v.isActive(n);
      if ((!all && !inactive && !active) || (inactive && active)) continue;
      out += `${n.padEnd(20)} ${(active ? 'active' : 'inactive').padEnd(10)} ${(v.autostart(n) ? 'yes' : 'no').padEnd(13)} yes\n`;
    }
    ctx.out(out + '\n');
    return 0;
  },
  'net-destroy': (ctx, [name]) => {
    const v = ctx.node.virt;
    if (!name || !v.defined().includes(name)) return notFound(ctx, name ?? '');
    if (!v.isActive(name)) {
      ctx.err(
        `error: Failed to destroy network ${name}\nerror: Requested operation is not valid: network '${name}' is not active\n`,
      );
      ctx.out('\n');
      return 1;
    }
    v.destroy(name);
    ctx.out(`Network ${name} destroyed\n\n`);
    return 0;
  },
  'net-autostart': (ctx, args) => {
    const v = ctx.node.virt;
    const name = args.find((a) => !a.startsWith('-'));
    if (!name || !v.defined().includes(name)) return notFound(ctx, name ?? '');
    const off = args.includes('--disable');
    v.setAutostart(name, !off);
    ctx.out(`Network ${name} ${off ? 'unmarked' : 'marked'} as autostarted\n\n`);
    return 0;
  },
  'net-undefine': (ctx, [name]) => {
    const v = ctx.node.virt;
    if (!name || !v.defined().includes(name)) return notFound(ctx, name ?? '');
    v.setAutostart(name, false);
    ctx.node.fs.unlink(v.file(name));
    ctx.out(`Network ${name} has been undefined\n\n`);
    return 0;
  },
  'net-start': (ctx, [name]) => {
    const v = ctx.node.virt;
    if (!name || !v.defined().includes(name)) return notFound(ctx, name ?? '');
    if (v.isActive(name)) {
      ctx.err(
        `error: Failed to start network ${name}\nerror: Requested operation is not valid: network is already active\n`,
      );
      ctx.out('\n');
      return 1;
    }
    v.start(name);
    ctx.out(`Network ${name} started\n\n`);
    return 0;
  },
  'net-define': (ctx, [file]) => {
    let xml: string;
    try {
      xml = ctx.node.fs.readText(ctx.sh.resolve(file ?? ''));
    } catch {
      ctx.err(`error: Failed to open file '${file}': No such file or directory\n`);
      ctx.out('\n');
      return 1;
    }
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) {
      ctx.err('error: Failed to define network from ' + file + '\nerror: internal error missing name\n');
      ctx.out('\n');
      return 1;
    }
    ctx.node.fs.mkdirp('/etc/libvirt/qemu/networks');
    ctx.node.fs.writeFile(ctx.node.virt.file(name), xml);
    ctx.out(`Network ${name} defined from ${file}\n\n`);
    return 0;
  },
};

/** virsh with the subcommands `subs`. */
export function virshWith(subs: Readonly<Record<string, VirshSub>>): CommandFn {
  return async (ctx) => {
    const args = ctx.argv
      .slice(1)
      .filter(
        (a, i, all) =>
          !(
            a === '-c' ||
            a === '--connect' ||
            a.startsWith('--connect=') ||
            all[i - 1] === '-c' ||
            all[i - 1] === '--connect'
          ),
      );
    const sub = args[0];
    if (!sub) {
      ctx.out(
        "Welcome to virsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\nvirsh # \n",
      );
      return 0;
    }
    const fn = subs[sub];
    if (!fn) {
      ctx.err(`error: unknown command: '${sub}'\n`);
      return 1;
    }
    if (!ctx.node.isRunning('libvirtd')) {
      // NOTE: with -c virsh connects before running the command (and says so differently).
      const named = ctx.argv.some((a) => a === '-c' || a === '--connect' || a.startsWith('--connect='));
      if (named)
        ctx.err(
          "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\nerror: failed to connect to the hypervisor\n",
        );
      else {
        ctx.err(
          "error: Failed to reconnect to the hypervisor\nerror: no valid connection\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
        );
        // NOTE: virsh prints its blank line after every command on stdout, failed or not.
        ctx.out('\n');
      }
      return 1;
    }
    return fn(ctx, args.slice(1));
  };
}

/** virsh with the network subcommands only. */
export const VIRSH_COMMANDS: Record<string, CommandFn> = { virsh: virshWith(VIRSH) };
