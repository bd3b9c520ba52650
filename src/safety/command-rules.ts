/**
 * Built-in rules of the command policy, applied to one simple command's static argv (see
 * `command-words.ts`). Wrappers are peeled off (`command-wrappers.ts`) and the wrapped command
 * is judged too; strings that a command runs as shell code (`bash -c`, `eval`,
 * `git -c alias.x='!…'`, `trap`, `watch`, `su -c`) are handed back to the walker through
 * `RuleContext.runScript`.
 */
import type { Field } from './command-words.js';
import { isCriticalTree, isSystemTree, judgeWriteTarget, lit, MAX_LAYERS, maybeOption, optionSet, programName, texts, type RuleContext } from './command-context.js';
import { parseShellArgs, readsCodeFromStdin, resolveLayers, SHELLS, unwrap } from './command-wrappers.js';
export type { RuleContext, Stdin } from './command-context.js';
export { basename, judgeWriteTarget, programName } from './command-context.js';
export { readsCodeFromStdin, resolveLayers } from './command-wrappers.js';

// ---------------------------------------------------------------------------------------------
// Per-program rules

function rmRule(argv: readonly Field[], ctx: RuleContext): void {
  const args = argv.slice(1);
  let recursive = false;
  let force = false;
  let noPreserveRoot = false;
  let dynamicOption = false;
  const targets: string[] = [];
  let options = true;
  for (const f of args) {
    const a = f.text;
    if (options && a === '--') {
      options = false;
      continue;
    }
    if (options && maybeOption(f)) dynamicOption = true;
    if (options && a.startsWith('--')) {
      if (a === '--recursive') recursive = true;
      else if (a === '--force') force = true;
      else if (a === '--no-preserve-root') noPreserveRoot = true;
      continue;
    }
    if (options && /^-[A-Za-z]+$/.test(a)) {
      if (/[rR]/.test(a)) recursive = true;
      if (a.includes('f')) force = true;
      continue;
    }
    targets.push(a);
  }
  if (recursive && force) ctx.add('blocked', 'recursive forced delete', argv);
  else if (noPreserveRoot) ctx.add('blocked', 'delete with --no-preserve-root', argv);
  else if (recursive && targets.some(isCriticalTree)) ctx.add('blocked', 'recursive delete of a root, home or whole working directory', argv);
  else if (dynamicOption) ctx.add('confirm', 'rm with arguments only known at run time', argv);
}

function chmodRule(name: string, argv: readonly Field[], ctx: RuleContext): void {
  const args = argv.slice(1);
  const { short, long } = optionSet(args);
  const recursive = short.has('R') || long.has('--recursive');
  const operands = args.filter((f) => !/^-[A-Za-z]+$/.test(f.text) && !f.text.startsWith('--'));
  if (recursive && operands.some((f) => isSystemTree(f.text))) ctx.add('blocked', `recursive ${name} on a system or home tree`, argv);
  if (name === 'chmod') {
    const mode = operands[0]?.text ?? '';
    if (/^[ugoa]*[+=][rwxXst]*s/.test(mode) || /(^|,)[ugoa]*[+=][^,]*s/.test(mode) || /^[2-7][0-7]{3}$/.test(mode)) ctx.add('monitor', 'sets the setuid/setgid bit', argv);
  }
}

const DISK_TOOLS: Record<string, string> = {
  dd: 'raw data copy (dd)',
  fdisk: 'disk partitioning',
  sfdisk: 'disk partitioning',
  cfdisk: 'disk partitioning',
  gdisk: 'disk partitioning',
  sgdisk: 'disk partitioning',
  parted: 'disk partitioning',
  shred: 'irrecoverable overwrite of files (shred)',
  wipefs: 'filesystem signature wipe (wipefs)',
  blkdiscard: 'discard of all data on a device',
  mkswap: 'formats a device as swap',
  mke2fs: 'filesystem creation',
};

function findRule(argv: readonly Field[], ctx: RuleContext, depth: number): void {
  const args = argv.slice(1);
  const firstExpr = args.findIndex((f) => /^[-(!]/.test(f.text) && f.text !== '-');
  const roots = (firstExpr < 0 ? args : args.slice(0, firstExpr)).map((f) => f.text);
  const overSystem = roots.some(isSystemTree);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]?.text ?? '';
    if (a === '-delete') ctx.add('blocked', 'find -delete', argv);
    if (a === '-exec' || a === '-execdir' || a === '-ok' || a === '-okdir') {
      let j = i + 1;
      while (j < args.length && args[j]?.text !== ';' && args[j]?.text !== '+') j++;
      const inner = args.slice(i + 1, j);
      if (inner.length > 0) analyzeArgv(inner, ctx, depth + 1);
      const program = resolveLayers(inner).at(-1)?.[0];
      if (overSystem && ['rm', 'shred', 'unlink'].includes(programName(program) ?? '')) ctx.add('blocked', 'find deletes files across a system or home tree', argv);
      i = j;
    }
    if (a === '-fprint' || a === '-fprint0' || a === '-fprintf' || a === '-fls') judgeWriteTarget(ctx, args[i + 1]?.text ?? '', `find ${a} writes to`, argv);
  }
}

/** git config keys whose value git runs as a shell command. */
const GIT_EXEC_KEY =
  /^(core\.(pager|sshcommand|editor|fsmonitor|askpass)|sequence\.editor|diff\.external|gpg\.program|gpg\.\w+\.program|credential\.helper|credential\..*\.helper|filter\..*\.(clean|smudge|process)|diff\..*\.(textconv|command)|merge\..*\.driver|pager\..*|uploadpack\.packobjectshook|sendemail\.(smtpserver|tocmd|cccmd))$/;

function gitRule(argv: readonly Field[], ctx: RuleContext, depth: number, aliasDepth = 0): void {
  const args = argv.slice(1);
  const aliases = new Map<string, string>();
  let i = 0;
  const setting = (kv: string): void => {
    const eq = kv.indexOf('=');
    if (eq <= 0) return;
    const key = kv.slice(0, eq).toLowerCase();
    const value = kv.slice(eq + 1);
    if (key.startsWith('alias.')) aliases.set(kv.slice('alias.'.length, eq), value);
    else if (GIT_EXEC_KEY.test(key)) ctx.runScript(value.replace(/^!/, ''));
  };
  while (i < args.length) {
    const a = args[i]?.text ?? '';
    if (a === '-c') {
      setting(args[i + 1]?.text ?? '');
      i += 2;
    } else if (a.startsWith('-c') && a.length > 2 && !a.startsWith('--')) {
      setting(a.slice(2));
      i++;
    } else if (['-C', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--exec-path', '--list-cmds'].includes(a)) i += 2;
    else if (a.startsWith('-')) i++;
    else break;
  }
  const sub = args[i];
  if (!sub) return;
  const rest = args.slice(i + 1);
  if (sub.dynamic) {
    ctx.add('confirm', 'git subcommand only known at run time', argv);
    return;
  }
  const alias = aliases.get(sub.text);
  if (alias !== undefined && aliasDepth < 8) {
    if (alias.startsWith('!')) ctx.runScript(`${alias.slice(1)} ${texts(rest).join(' ')}`);
    else gitRule([lit('git'), ...alias.split(/\s+/).filter(Boolean).map(lit), ...rest], ctx, depth, aliasDepth + 1);
    return;
  }
  const normalized = ['git', sub.text, ...texts(rest)];
  if (sub.text === 'push') {
    const { short, long } = optionSet(rest);
    const rewrites =
      short.has('f') || short.has('d') || ['--force', '--force-with-lease', '--force-if-includes', '--mirror', '--delete', '--prune'].some((o) => long.has(o)) || rest.some((f) => /^[+:]/.test(f.text));
    ctx.add('confirm', rewrites ? 'git push that rewrites or deletes remote history' : 'git push publishes commits', normalized);
  }
  ctx.matchConfig(normalized);
  if (sub.text === 'submodule' && rest.some((f) => f.text === 'foreach')) {
    const cmd = rest.filter((f) => f.text !== 'foreach' && !f.text.startsWith('-'));
    if (cmd.length > 0) ctx.runScript(texts(cmd).join(' '));
  }
}

/** Registry publishing and package installs: program → subcommand path → reason. */
const PUBLISHERS: Record<string, { sub: string[]; what: string; valued: string[] }[]> = {
  npm: [
    { sub: ['publish'], what: 'publishes a package to the npm registry', valued: ['--registry', '--tag', '--otp', '--access', '--prefix', '-w', '--workspace', '--userconfig', '--cache', '--loglevel'] },
    { sub: ['unpublish'], what: 'removes a package from the npm registry', valued: ['--registry', '--otp', '--prefix', '-w', '--workspace'] },
  ],
  yarn: [
    { sub: ['publish'], what: 'publishes a package to the npm registry', valued: ['--registry', '--tag', '--otp', '--access', '--cwd'] },
    { sub: ['npm', 'publish'], what: 'publishes a package to the npm registry', valued: ['--cwd'] },
  ],
  pnpm: [{ sub: ['publish'], what: 'publishes a package to the npm registry', valued: ['--registry', '--tag', '--otp', '--access', '-C', '--dir', '--filter', '-F'] }],
  bun: [{ sub: ['publish'], what: 'publishes a package to the npm registry', valued: ['--registry', '--tag', '--otp', '--access', '--cwd'] }],
  cargo: [{ sub: ['publish'], what: 'publishes a crate to crates.io', valued: ['--registry', '--token', '-p', '--package', '--manifest-path', '-Z', '--config'] }],
  docker: [
    { sub: ['push'], what: 'pushes an image to a registry', valued: ['-H', '--host', '-c', '--context', '--config', '-l', '--log-level'] },
    { sub: ['image', 'push'], what: 'pushes an image to a registry', valued: ['-H', '--host', '-c', '--context', '--config', '-l', '--log-level'] },
  ],
  podman: [{ sub: ['push'], what: 'pushes an image to a registry', valued: ['--url', '-c', '--connection'] }],
  gem: [{ sub: ['push'], what: 'publishes a gem', valued: ['--host', '-k', '--key'] }],
  twine: [{ sub: ['upload'], what: 'publishes a Python package', valued: ['-r', '--repository', '--repository-url', '-u', '-p'] }],
  poetry: [{ sub: ['publish'], what: 'publishes a Python package', valued: ['-r', '--repository', '-u', '-p', '--directory', '-C'] }],
  uv: [
    { sub: ['publish'], what: 'publishes a Python package', valued: ['--index', '--publish-url', '--token', '--directory'] },
    { sub: ['pip', 'install'], what: 'installs Python packages', valued: ['--directory', '--python', '-p'] },
  ],
  pipx: [{ sub: ['install'], what: 'installs a Python application', valued: ['--python'] }],
};

const PIP = /^pip[\d.]*$/;
const PYTHON = /^(python[\d.]*|py|pypy[\d.]*)$/;

/** Positional words after options (each option that takes a value consumes the next word). */
function positionals(args: readonly Field[], valued: readonly string[]): Field[] {
  const out: Field[] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i]?.text ?? '';
    if (a === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      i += !a.includes('=') && valued.includes(a) ? 2 : 1;
      continue;
    }
    const f = args[i];
    if (f) out.push(f);
    i++;
  }
  return out;
}

function publisherRule(name: string, argv: readonly Field[], ctx: RuleContext): void {
  const rules = PUBLISHERS[name];
  if (!rules) return;
  for (const rule of rules) {
    const pos = positionals(argv.slice(1), rule.valued);
    if (rule.sub.every((s, k) => pos[k]?.text === s)) ctx.add('confirm', rule.what, argv);
  }
  if (name === 'docker') {
    const pos = positionals(argv.slice(1), ['-H', '--host', '-c', '--context', '--config', '-t', '--tag', '-f', '--file']);
    if ((pos[0]?.text === 'buildx' || pos[0]?.text === 'build') && argv.some((f) => f.text === '--push' || f.text.startsWith('--output=type=registry'))) ctx.add('confirm', 'pushes an image to a registry', argv);
  }
}

function pythonRule(argv: readonly Field[], ctx: RuleContext, depth: number): void {
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]?.text ?? '';
    if (a === '-m' || a.startsWith('-m')) {
      const mod = a === '-m' ? args[i + 1]?.text : a.slice(2);
      const rest = args.slice(a === '-m' ? i + 2 : i + 1);
      if (mod === 'pip') analyzeArgv([lit('pip'), ...rest], ctx, depth + 1);
      return;
    }
    if (a === '-c' || !a.startsWith('-')) return;
  }
}

function sedRule(argv: readonly Field[], ctx: RuleContext): void {
  const args = argv.slice(1);
  const scripts: string[] = [];
  const files: string[] = [];
  let inPlace = false;
  let haveScriptOption = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]?.text ?? '';
    if (a === '-e' || a === '--expression') {
      scripts.push(args[i + 1]?.text ?? '');
      haveScriptOption = true;
      i++;
    } else if (a.startsWith('--expression=')) {
      scripts.push(a.slice('--expression='.length));
      haveScriptOption = true;
    } else if (a === '-f' || a === '--file' || a === '-l' || a === '--line-length') {
      if (a === '-f' || a === '--file') haveScriptOption = true;
      i++;
    } else if (a === '--in-place' || a.startsWith('--in-place=')) inPlace = true;
    else if (/^-[A-Za-z]/.test(a) && !a.startsWith('--')) {
      const letters = a.slice(1);
      const iPos = letters.indexOf('i');
      const ePos = letters.indexOf('e');
      if (iPos >= 0 && (ePos < 0 || iPos < ePos)) inPlace = true;
      if (ePos >= 0 && (iPos < 0 || ePos < iPos)) {
        haveScriptOption = true;
        scripts.push(ePos === letters.length - 1 ? (args[++i]?.text ?? '') : letters.slice(ePos + 1));
      }
    } else if (a.startsWith('--')) continue;
    else if (!haveScriptOption && scripts.length === 0) scripts.push(a);
    else files.push(a);
  }
  if (inPlace) for (const f of files) judgeWriteTarget(ctx, f, 'sed -i edits', argv);
  for (const s of scripts) {
    for (const m of s.matchAll(/(?:^|[^A-Za-z\\])[wW]\s*((?:\/|~|\$HOME)[^\s;}]*)/g)) judgeWriteTarget(ctx, m[1] ?? '', 'sed script writes to', argv);
  }
}

function copyRule(name: string, argv: readonly Field[], ctx: RuleContext): void {
  const args = argv.slice(1);
  const ops = positionals(args, name === 'tee' ? [] : ['-t', '--target-directory', '-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group', '-s', '--size', '-r', '--reference']);
  const targets = name === 'tee' || name === 'mv' || name === 'truncate' ? ops : ops.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]?.text ?? '';
    if (a === '-t' || a === '--target-directory') targets.push(args[i + 1] ?? lit(''));
    else if (a.startsWith('--target-directory=')) targets.push(lit(a.slice('--target-directory='.length)));
  }
  for (const t of targets) judgeWriteTarget(ctx, t.text, `${name} writes to`, argv);
}

function shellRule(name: string, argv: readonly Field[], ctx: RuleContext): void {
  const s = parseShellArgs(argv.slice(1));
  if (s.command) {
    if (s.command.dynamic) ctx.add('monitor', `${name} -c runs a string only known at run time`, argv);
    else ctx.runScript(s.command.text);
    return;
  }
  if (s.script && /^\$?<\(/.test(s.script.text)) {
    ctx.add('monitor', `${name} runs the output of another command as a script`, argv);
    return;
  }
  if (readsCodeFromStdin(argv) === 'shell') {
    if (ctx.stdin.kind === 'text') ctx.runScript(ctx.stdin.text);
    else if (ctx.stdin.kind === 'dynamic') ctx.add('monitor', `${name} runs input only known at run time`, argv);
  }
}

/**
 * Judges one simple command (argv after static expansion), then the command it wraps, if any.
 * `depth` bounds wrapper nesting.
 */
export function analyzeArgv(argv: readonly Field[], ctx: RuleContext, depth = 0): void {
  if (argv.length === 0 || depth > MAX_LAYERS) return;
  const first = argv[0];
  const name = programName(first);
  if (name === undefined) {
    ctx.add('confirm', 'command name only known at run time', argv);
    return;
  }
  const view = [name, ...texts(argv.slice(1))];
  const u = unwrap(argv);
  if (u?.monitor) ctx.add('monitor', u.monitor, argv);
  // Block-device writes through dd-style `of=` work with any program that takes them.
  if (!u) for (const f of argv.slice(1)) if (f.text.startsWith('of=')) judgeWriteTarget(ctx, f.text.slice(3), `${name} writes to`, argv);
  if (name === 'rm') rmRule(argv, ctx);
  else if (name === 'chmod' || name === 'chown' || name === 'chgrp') chmodRule(name, argv, ctx);
  else if (name.startsWith('mkfs')) ctx.add('blocked', 'filesystem creation (mkfs)', argv);
  else if (DISK_TOOLS[name]) ctx.add('blocked', DISK_TOOLS[name], argv);
  else if (name === 'find') findRule(argv, ctx, depth);
  else if (name === 'git') gitRule(argv, ctx, depth);
  else if (PIP.test(name)) {
    const pos = positionals(argv.slice(1), ['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--target', '-t', '--prefix', '--root', '--python']);
    if (pos[0]?.text === 'install') ctx.add('confirm', 'installs Python packages (pip install)', argv);
  } else if (PYTHON.test(name)) pythonRule(argv, ctx, depth);
  else if (PUBLISHERS[name]) publisherRule(name, argv, ctx);
  else if (name === 'sed') sedRule(argv, ctx);
  else if (name === 'tee' || name === 'cp' || name === 'mv' || name === 'install' || name === 'truncate') copyRule(name, argv, ctx);
  else if (SHELLS.has(name)) shellRule(name, argv, ctx);
  else if (name === 'source' || name === '.') {
    if (argv[1] && /^\$?<\(/.test(argv[1].text)) ctx.add('monitor', `${name} runs the output of another command as a script`, argv);
  } else if (name === 'eval') {
    const rest = argv.slice(1);
    if (rest.some((f) => f.dynamic)) ctx.add('monitor', 'eval of a string only known at run time', argv);
    else ctx.runScript(texts(rest).join(' '));
  } else if (name === 'trap') {
    const action = argv[1];
    if (action && !action.dynamic && !action.text.startsWith('-')) ctx.runScript(action.text);
  } else if (name === 'alias') {
    for (const f of argv.slice(1)) {
      const eq = f.text.indexOf('=');
      if (eq > 0) ctx.runScript(f.text.slice(eq + 1));
    }
  }
  ctx.matchConfig(view);
  if (u) analyzeArgv(u.inner, ctx, depth + 1);
}
