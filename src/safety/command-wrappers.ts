/**
 * Wrappers (`sudo`, `env`, `timeout`, `nice`, `xargs`, `find -exec`, …): peeled off so the
 * command that really runs is judged, and shells/interpreters fed code on stdin recognised.
 */
import type { Field } from './command-words.js';
import { lit, MAX_LAYERS, programName, skipOptions, texts } from './command-context.js';

// ---------------------------------------------------------------------------------------------
// Wrappers

interface Unwrapped {
  inner: Field[];
  monitor?: string;
}

export const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'rbash', 'yash', 'posh', 'csh', 'tcsh']);
const INTERPRETERS = /^(python[\d.]*|perl[\d.]*|ruby[\d.]*|node|nodejs|php[\d.]*|lua[\d.]*|deno|bun|tclsh|Rscript)$/;

/** Peels one wrapper off argv; undefined when argv[0] is not a (prefix) wrapper. */
export function unwrap(argv: readonly Field[]): Unwrapped | undefined {
  const name = programName(argv[0]);
  const args = argv.slice(1);
  const after = (i: number): Field[] => args.slice(i);
  switch (name) {
    case 'sudo':
      return {
        inner: after(skipOptions(args, 0, ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group', '--chdir', '--host', '--prompt', '--role', '--type', '--other-user', '--command-timeout', '--close-from'])),
        monitor: 'runs a command as another user (sudo)',
      };
    case 'doas':
      return { inner: after(skipOptions(args, 0, ['-u', '-C'])), monitor: 'runs a command as another user (doas)' };
    case 'pkexec':
      return { inner: after(skipOptions(args, 0, ['--user'])), monitor: 'runs a command as another user (pkexec)' };
    case 'runuser':
      return { inner: after(skipOptions(args, 0, ['-u', '-g', '-G', '--user', '--group'])), monitor: 'runs a command as another user (runuser)' };
    case 'env': {
      let i = 0;
      const inner: Field[] = [];
      while (i < args.length) {
        const a = args[i]?.text ?? '';
        if (a === '--') {
          i++;
          break;
        }
        if (a === '-S' || a === '--split-string') {
          inner.push(...(args[i + 1]?.text ?? '').split(/\s+/).filter(Boolean).map(lit));
          i += 2;
          break;
        }
        if (a.startsWith('--split-string=') || (a.startsWith('-S') && a.length > 2)) {
          inner.push(...a.replace(/^--split-string=|^-S/, '').split(/\s+/).filter(Boolean).map(lit));
          i++;
          break;
        }
        if (a === '-u' || a === '--unset' || a === '-C' || a === '--chdir') i += 2;
        else if (a.startsWith('-') && a !== '-') i++;
        else break;
      }
      while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]?.text ?? '')) i++;
      return { inner: [...inner, ...after(i)] };
    }
    case 'command':
      if (args.some((a) => /^-[pvV]*[vV][pvV]*$/.test(a.text))) return { inner: [] };
      return { inner: after(skipOptions(args, 0, [])) };
    case 'builtin':
    case 'nohup':
    case 'busybox':
    case 'toybox':
    case 'unbuffer':
      return { inner: after(args[0]?.text === '--' ? 1 : 0) };
    case 'exec':
      return { inner: after(skipOptions(args, 0, ['-a'])) };
    case 'nice':
      return { inner: after(skipOptions(args, 0, ['-n', '--adjustment'])) };
    case 'setsid':
      return { inner: after(skipOptions(args, 0, [])) };
    case 'time':
      return { inner: after(skipOptions(args, 0, ['-f', '-o', '--format', '--output'])) };
    case 'stdbuf':
      return { inner: after(skipOptions(args, 0, ['-i', '-o', '-e', '--input', '--output', '--error'])) };
    case 'ionice':
      if (args.some((a) => a.text === '-p' || a.text === '-P' || a.text === '--pid' || a.text === '--pgid')) return { inner: [] };
      return { inner: after(skipOptions(args, 0, ['-c', '-n', '--class', '--classdata'])) };
    case 'taskset':
    case 'chrt':
      if (args.some((a) => a.text === '-p' || a.text === '--pid')) return { inner: [] };
      return { inner: after(skipOptions(args, 0, ['-T', '-P', '-D']) + 1) };
    case 'timeout':
      return { inner: after(skipOptions(args, 0, ['-s', '-k', '--signal', '--kill-after']) + 1) };
    case 'flock': {
      const i = skipOptions(args, 0, ['-w', '-E', '--timeout', '--conflict-exit-code']) + 1;
      if (args[i]?.text === '-c' || args[i]?.text === '--command') return { inner: [lit('sh'), lit('-c'), ...after(i + 1)] };
      return { inner: after(i) };
    }
    case 'strace':
    case 'ltrace':
      if (args.some((a) => a.text === '-p')) return { inner: [] };
      return { inner: after(skipOptions(args, 0, ['-o', '-e', '-s', '-u', '-E', '-a', '-b', '-I', '-O', '-S', '-X', '-P'])) };
    case 'xargs': {
      const inner = after(
        skipOptions(args, 0, ['-I', '-L', '-n', '-P', '-s', '-d', '-E', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-chars', '--eof', '--max-lines', '--process-slot-var']),
      );
      return { inner: inner.length > 0 ? inner : [lit('echo')] };
    }
    case 'watch': {
      const rest = after(skipOptions(args, 0, ['-n', '-d', '-q', '--interval', '--differences', '--equexit', '-g']));
      return { inner: rest.length > 0 ? [lit('sh'), lit('-c'), { text: texts(rest).join(' '), dynamic: rest.some((f) => f.dynamic) }] : [] };
    }
    case 'su': {
      let cmd: Field | undefined;
      for (let i = 0; i < args.length; i++) {
        const a = args[i]?.text ?? '';
        if (a === '-c' || a === '--command' || a === '--session-command') cmd = args[i + 1];
        else if (a.startsWith('--command=')) cmd = { text: a.slice('--command='.length), dynamic: args[i]?.dynamic ?? false };
      }
      return { inner: cmd ? [lit('sh'), lit('-c'), cmd] : [], monitor: 'runs a command as another user (su)' };
    }
    default:
      return undefined;
  }
}

/** Strips every prefix wrapper: the program that really runs (and the layers on the way). */
export function resolveLayers(argv: readonly Field[]): Field[][] {
  const layers: Field[][] = [[...argv]];
  let current: readonly Field[] = argv;
  for (let n = 0; n < MAX_LAYERS; n++) {
    const u = unwrap(current);
    if (!u || u.inner.length === 0 || programName(current[0]) === 'xargs') break;
    layers.push(u.inner);
    current = u.inner;
  }
  return layers;
}

/**
 * Whether the program (already unwrapped) takes its code from stdin: a shell with no
 * `-c` and no script file (or `-s`, `-`, `/dev/stdin`), or an interpreter with no script.
 */
export function readsCodeFromStdin(argv: readonly Field[]): 'shell' | 'interpreter' | undefined {
  const name = programName(argv[0]);
  if (!name) return undefined;
  const args = argv.slice(1);
  if (SHELLS.has(name) || name === 'source' || name === '.') {
    const s = parseShellArgs(args);
    if (name === 'source' || name === '.') return s.script?.text === '/dev/stdin' ? 'shell' : undefined;
    if (s.command) return undefined;
    if (s.stdinFlag || !s.script || s.script.text === '-' || s.script.text === '/dev/stdin' || s.script.text === '/dev/fd/0') return 'shell';
    return undefined;
  }
  if (INTERPRETERS.test(name)) {
    if (args.some((a) => /^-(c|e|E|m|p|r)$/.test(a.text) || a.text === '--eval' || a.text === '--print')) return undefined;
    const positional = args.find((a) => !a.text.startsWith('-') || a.text === '-');
    if (!positional || positional.text === '-' || positional.text === '/dev/stdin') return 'interpreter';
  }
  return undefined;
}

interface ShellArgs {
  /** The `-c` string. */
  command?: Field;
  /** The script file (first operand without -c). */
  script?: Field;
  stdinFlag: boolean;
}

export function parseShellArgs(args: readonly Field[]): ShellArgs {
  let cFlag = false;
  let stdinFlag = false;
  let i = 0;
  while (i < args.length) {
    const a = args[i]?.text ?? '';
    if (a === '--' || a === '-') {
      if (a === '--') i++;
      break;
    }
    if (a.startsWith('--')) {
      i += ['--rcfile', '--init-file'].includes(a) ? 2 : 1;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(a)) {
      if (a.startsWith('-') && a.includes('c')) cFlag = true;
      if (a.startsWith('-') && a.includes('s')) stdinFlag = true;
      i += /[oO]$/.test(a) ? 2 : 1;
      continue;
    }
    break;
  }
  const operand = args[i];
  if (cFlag) return { command: operand ?? lit(''), stdinFlag };
  return operand ? { script: operand, stdinFlag } : { stdinFlag };
}

