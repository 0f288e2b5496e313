/**
 * yum (install, remove/erase, list installed, info) and rpm (-q, -qa, -e, -i/-U of known package URLs)
 * against the lab's package catalogue.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { nvra, resolveInstall, installFiles, removeFiles, repoEnabled, type PackageDef } from '../node/packages.js';
import { worldOf } from '../world/world.js';

const RULE = '='.repeat(80);

function vr(p: PackageDef): string {
  const m = /^(?:(\d+):)?(.*)$/.exec(p.evr)!;
  return `${m[1] ?? '0'}:${m[2]}`;
}

function sizeK(p: PackageDef): number {
  return p.sizeK ?? 200;
}

function fmtSize(k: number): string {
  return k >= 1024 ? `${(k / 1024).toFixed(1)} M` : `${k} k`;
}

function table(rows: PackageDef[], heading: string, deps: Set<string>): string {
  let s = `${RULE}\n ${'Package'.padEnd(26)} ${'Arch'.padEnd(8)} ${'Version'.padEnd(27)} ${'Repository'.padEnd(10)} ${'Size'.padStart(5)}\n${RULE}\n`;
  const line = (p: PackageDef) =>
    ` ${p.name.padEnd(26)} ${(p.arch ?? 'x86_64').padEnd(8)} ${p.evr.padEnd(27)} ${(p.repo === 'installed' ? '@anaconda' : (p.repo ?? 'base')).padEnd(10)} ${fmtSize(sizeK(p)).padStart(5)}\n`;
  const main = rows.filter((p) => !deps.has(p.name));
  const dep = rows.filter((p) => deps.has(p.name));
  s += `${heading}:\n` + main.map(line).join('');
  if (dep.length) s += `${heading} for dependencies:\n` + dep.map(line).join('');
  return s;
}

function confirm(ctx: CmdCtx, yes: boolean): boolean {
  if (yes) return true;
  ctx.out('Is this ok [y/N]: ');
  const answer = ctx.stdin.split('\n')[0]?.trim().toLowerCase() ?? '';
  if (answer === 'y' || answer === 'yes') return true;
  ctx.out('Exiting on user Command\n');
  return false;
}

const yum: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  const yes = argv.some((a) => a === '-y' || a === '--assumeyes');
  const quiet = argv.some((a) => a === '-q' || a === '--quiet');
  const [verb, ...names] = argv.filter((a) => !a.startsWith('-'));
  const node = ctx.node;
  const out = (s: string) => {
    if (!quiet) ctx.out(s);
  };
  if (!verb) {
    ctx.err('You need to give some command\n');
    return 1;
  }
  out('Loaded plugins: fastestmirror\n');
  if (verb === 'install' || verb === 'groupinstall' || verb === 'update' || verb === 'upgrade') {
    if (verb === 'update' || verb === 'upgrade') {
      out('Loading mirror speeds from cached hostfile\nSetting up Update Process\nNo Packages marked for Update\n');
      return 0;
    }
    out('Loading mirror speeds from cached hostfile\nSetting up Install Process\n');
    const { add, missing, already } = resolveInstall(node, names, worldOf(node).packages);
    for (const p of already)
      out(`Package ${nvra(p).replace(/\.[^.]+$/, '')}.${p.arch ?? 'x86_64'} already installed and latest version\n`);
    for (const m of missing) out(`No package ${m} available.\n`);
    if (!add.length) {
      if (missing.length && !already.length) {
        ctx.err('Error: Nothing to do\n');
        return 1;
      }
      out('Nothing to do\n');
      return 0;
    }
    const deps = new Set(add.map((p) => p.name).filter((n) => !names.includes(n)));
    out('Resolving Dependencies\n--> Running transaction check\n');
    for (const p of add) out(`---> Package ${p.name}.${p.arch ?? 'x86_64'} ${vr(p)} will be installed\n`);
    out('--> Finished Dependency Resolution\n\nDependencies Resolved\n\n');
    out(table(add, 'Installing', deps));
    const total = add.reduce((a, p) => a + sizeK(p), 0);
    out(
      `\nTransaction Summary\n${RULE}\nInstall      ${String(add.length).padStart(2)} Package(s)\n\nTotal download size: ${fmtSize(Math.round(total / 3))}\nInstalled size: ${fmtSize(total)}\n`,
    );
    if (!confirm(ctx, yes)) return 1;
    out(
      'Downloading Packages:\nRunning rpm_check_debug\nRunning Transaction Test\nTransaction Test Succeeded\nRunning Transaction\n',
    );
    add.forEach((p, i) =>
      out(
        `  Installing : ${vr(p).startsWith('0:') ? '' : vr(p).split(':')[0] + ':'}${nvra(p).padEnd(54)} ${i + 1}/${add.length} \n`,
      ),
    );
    for (const p of add) installFiles(node, p);
    add.forEach((p, i) => out(`  Verifying  : ${nvra(p).padEnd(56)} ${i + 1}/${add.length} \n`));
    const main = add.filter((p) => !deps.has(p.name));
    const dep = add.filter((p) => deps.has(p.name));
    out(`\nInstalled:\n  ${main.map((p) => `${p.name}.${p.arch ?? 'x86_64'} ${vr(p)}`).join('  ')}\n`);
    if (dep.length)
      out(`\nDependency Installed:\n  ${dep.map((p) => `${p.name}.${p.arch ?? 'x86_64'} ${vr(p)}`).join('  ')}\n`);
    out('\nComplete!\n');
    node.world.changed();
    return 0;
  }
  if (verb === 'remove' || verb === 'erase') {
    out('Setting up Remove Process\n');
    const rm: PackageDef[] = [];
    for (const n of names) {
      const p = worldOf(node).packages[n];
      if (!p || !node.packages.has(n)) {
        out(`No Match for argument: ${n}\n`);
        continue;
      }
      rm.push(p);
      // NOTE: packages that require a removed one go too, as yum would.
      for (const q of Object.values(worldOf(node).packages))
        if (node.packages.has(q.name) && q.requires?.includes(n) && !rm.includes(q)) rm.push(q);
    }
    if (!rm.length) {
      out('No Packages marked for removal\n');
      return 0;
    }
    out('Resolving Dependencies\n--> Running transaction check\n');
    for (const p of rm) out(`---> Package ${p.name}.${p.arch ?? 'x86_64'} ${vr(p)} will be erased\n`);
    out('--> Finished Dependency Resolution\n\nDependencies Resolved\n\n');
    const deps = new Set(rm.map((p) => p.name).filter((n) => !names.includes(n)));
    out(
      table(
        rm.map((p) => ({ ...p, repo: 'installed' })),
        'Removing',
        deps,
      ),
    );
    out(
      `\nTransaction Summary\n${RULE}\nRemove       ${String(rm.length).padStart(2)} Package(s)\n\nInstalled size: ${fmtSize(rm.reduce((a, p) => a + sizeK(p), 0))}\n`,
    );
    if (!confirm(ctx, yes)) return 1;
    out(
      'Downloading Packages:\nRunning rpm_check_debug\nRunning Transaction Test\nTransaction Test Succeeded\nRunning Transaction\n',
    );
    rm.forEach((p, i) => out(`  Erasing    : ${nvra(p).padEnd(54)} ${i + 1}/${rm.length} \n`));
    for (const p of rm) removeFiles(node, p);
    rm.forEach((p, i) => out(`  Verifying  : ${nvra(p).padEnd(56)} ${i + 1}/${rm.length} \n`));
    out(
      `\nRemoved:\n  ${rm
        .filter((p) => !deps.has(p.name))
        .map((p) => `${p.name}.${p.arch ?? 'x86_64'} ${vr(p)}`)
        .join('  ')}\n`,
    );
    if (deps.size)
      out(
        `\nDependency Removed:\n  ${rm
          .filter((p) => deps.has(p.name))
          .map((p) => `${p.name}.${p.arch ?? 'x86_64'} ${vr(p)}`)
          .join('  ')}\n`,
      );
    out('\nComplete!\n');
    node.world.changed();
    return 0;
  }
  if (verb === 'list') {
    const which = names[0] === 'installed' || names[0] === 'available' ? names.shift() : undefined;
    const pick = Object.values(worldOf(node).packages).filter(
      (p) => (names.length ? names.includes(p.name) : true) && repoEnabled(node, p),
    );
    const inst = pick.filter((p) => node.packages.has(p.name));
    const avail = pick.filter((p) => !node.packages.has(p.name));
    if (which !== 'available' && inst.length)
      out(
        'Installed Packages\n' +
          inst.map((p) => `${`${p.name}.${p.arch ?? 'x86_64'}`.padEnd(40)} ${p.evr.padEnd(24)} @anaconda\n`).join(''),
      );
    if (which !== 'installed' && avail.length)
      out(
        'Available Packages\n' +
          avail
            .map((p) => `${`${p.name}.${p.arch ?? 'x86_64'}`.padEnd(40)} ${p.evr.padEnd(24)} ${p.repo ?? 'base'}\n`)
            .join(''),
      );
    if (names.length && !inst.length && !avail.length) {
      ctx.err('Error: No matching Packages to list\n');
      return 1;
    }
    return 0;
  }
  if (verb === 'clean' || verb === 'makecache' || verb === 'repolist') {
    if (verb === 'repolist')
      out(
        'repo id                     repo name                                   status\nbase                        CentOS-6 - Base                             6,381\nupdates                     CentOS-6 - Updates                          1,310\n',
      );
    return 0;
  }
  ctx.err(`No such command: ${verb}. Please use /usr/bin/yum --help\n`);
  return 1;
};

const rpm: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  const opts = argv.filter((a) => a.startsWith('-')).join(' ');
  const names = argv.filter((a) => !a.startsWith('-'));
  const node = ctx.node;
  if (/(^|\s)-(q|-query)/.test(opts) || /^-q/.test(argv[0] ?? '')) {
    if (/a/.test(argv[0] ?? '') || argv.includes('-a') || argv.includes('--all')) {
      ctx.out(
        [...node.packages]
          .sort()
          .map((n) => nvra(worldOf(node).packages[n]) + '\n')
          .join(''),
      );
      return 0;
    }
    let code = 0;
    for (const n of names) {
      const p = worldOf(node).packages[n];
      if (p && node.packages.has(n)) ctx.out(nvra(p) + '\n');
      else {
        ctx.out(`package ${n} is not installed\n`);
        code = 1;
      }
    }
    return code;
  }
  if (/^-(e|-erase)/.test(argv[0] ?? '')) {
    let code = 0;
    for (const n of names) {
      const p = worldOf(node).packages[n];
      if (!p || !node.packages.has(n)) {
        ctx.err(`error: package ${n} is not installed\n`);
        code = 1;
        continue;
      }
      const needed = Object.values(worldOf(node).packages).filter(
        (q) => node.packages.has(q.name) && q.requires?.includes(n),
      );
      if (needed.length) {
        ctx.err(
          `error: Failed dependencies:\n${needed.map((q) => `\t${n} is needed by (installed) ${nvra(q)}\n`).join('')}`,
        );
        code = 1;
        continue;
      }
      removeFiles(node, p);
    }
    node.world.changed();
    return code;
  }
  if (/^-(i|U|F)/.test(argv[0] ?? '')) {
    let code = 0;
    for (const n of names) {
      const file = n.split('/').pop()!;
      const p = Object.values(worldOf(node).packages).find(
        (x) => file === `${nvra(x)}.rpm` || file.startsWith(`${x.name}-${x.evr.replace(/^\d+:/, '')}`),
      );
      if (!p) {
        ctx.err(
          n.includes('://')
            ? `curl: (6) Couldn't resolve host '${n.split('/')[2]}'\nerror: skipping ${n} - transfer failed\n`
            : `error: open of ${n} failed: No such file or directory\n`,
        );
        code = 1;
        continue;
      }
      if (n.includes('://')) ctx.out(`Retrieving ${n}\n`);
      if (node.packages.has(p.name)) {
        ctx.err(`\tpackage ${nvra(p)} is already installed\n`);
        code = 1;
        continue;
      }
      if (argv[0].includes('v'))
        ctx.out(
          `Preparing...                ${'#'.repeat(43)} [100%]\n   1:${p.name.padEnd(23)}${'#'.repeat(43)} [100%]\n`,
        );
      installFiles(node, p);
    }
    node.world.changed();
    return code;
  }
  ctx.err('rpm: no operation specified\n');
  return 1;
};

/** yum and rpm. */
export const YUM_COMMANDS: Record<string, CommandFn> = { yum, rpm };
