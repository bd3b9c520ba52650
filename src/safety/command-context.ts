/**
 * What every command rule shares: the rule context, argv helpers (options, program names) and
 * the judgement of write targets (system files, block devices, critical trees).
 */
import type { CommandClass } from './command-policy.js';
import type { Field } from './command-words.js';

/** What stdin of the command is, as far as its own redirections say. */
export type Stdin =
  | { kind: 'none' }
  | { kind: 'file' }
  | { kind: 'text'; text: string }
  | { kind: 'dynamic' };

export interface RuleContext {
  /** Report a finding for the simple command being judged. */
  add(cls: CommandClass, what: string, argv: readonly Field[] | readonly string[]): void;
  /** Analyse shell source that this command will run. */
  runScript(source: string): void;
  /** Match the configured lists against one view of the argv (a wrapper layer). */
  matchConfig(argv: readonly string[]): void;
  /** The command's own stdin redirection. */
  readonly stdin: Stdin;
}

export const MAX_LAYERS = 32;

export const basename = (s: string): string => {
  const trimmed = s.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
};

/** The program a field names (basename of a path), or undefined if it is only known at run time. */
export function programName(f: Field | undefined): string | undefined {
  if (!f || f.dynamic) return undefined;
  return basename(f.text);
}

export const texts = (argv: readonly Field[]): string[] => argv.map((f) => f.text);
export const lit = (text: string): Field => ({ text, dynamic: false });

/**
 * Index of the first argument after the options starting at `start`. `valued` lists the
 * options that take a separate value (`-u`, `--user`); `--` ends the options.
 */
export function skipOptions(args: readonly Field[], start: number, valued: readonly string[]): number {
  let i = start;
  while (i < args.length) {
    const a = args[i]?.text ?? '';
    if (a === '--') return i + 1;
    if (!a.startsWith('-') || a === '-') return i;
    if (a.startsWith('--')) {
      i += !a.includes('=') && valued.includes(a) ? 2 : 1;
      continue;
    }
    let consumed = 1;
    for (let k = 1; k < a.length; k++) {
      if (valued.includes(`-${a[k] ?? ''}`)) {
        if (k === a.length - 1) consumed = 2;
        break;
      }
    }
    i += consumed;
  }
  return i;
}

/** Short option letters and long option names given before `--`. */
export function optionSet(args: readonly Field[]): { short: Set<string>; long: Set<string> } {
  const short = new Set<string>();
  const long = new Set<string>();
  for (const f of args) {
    const a = f.text;
    if (a === '--') break;
    if (a.startsWith('--')) long.add(a.split('=')[0] ?? a);
    else if (/^-[A-Za-z0-9]+$/.test(a)) for (const c of a.slice(1)) short.add(c);
  }
  return { short, long };
}

/** A field that could turn into an option at run time (`$flags`, `"$x"`). */
export const maybeOption = (f: Field): boolean => f.dynamic && !/^[A-Za-z0-9_./~+,:@=]/.test(f.text);

// ---------------------------------------------------------------------------------------------
// Paths

const BLOCK_DEVICE =
  /^\/dev\/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|loop\d|md\d|dm-\d|sr\d|nbd\d|disk\/|disk\d|mapper\/|root$|mem$|kmem$|port$)/;
const SYSTEM_ROOTS = /^\/(bin|boot|dev|etc|home|lib|lib32|lib64|libx32|opt|proc|root|sbin|srv|sys|usr|var)\/?\*?$/;
const HOME_OR_ROOT = /^(\/+\*?|~\/?\*?|\$HOME\/?\*?|\$\{HOME\}\/?\*?|\/\.\*?|\/\.\.?)$/;
const CWD_ALL = /^(\.\/?\*?|\.\.\/?\*?|\*|\.\*)$/;
const SYSTEM_FILE =
  /^(\/(etc|usr|bin|sbin|lib|lib32|lib64|boot|sys|proc|root|var\/lib|var\/spool\/cron)(\/|$)|(~|\$HOME|\$\{HOME\})\/\.(ssh|bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zshenv|gitconfig|npmrc|pypirc|netrc|config\/(git|systemd|autostart))(\/|$))/;

export const isBlockDevice = (p: string): boolean => BLOCK_DEVICE.test(p);
export const isSystemFile = (p: string): boolean => SYSTEM_FILE.test(p) && !/^\/proc\/self\/fd\//.test(p);
/** `/`, `~`, `/etc`, … (what a recursive chmod/chown must never touch). */
export const isSystemTree = (p: string): boolean => HOME_OR_ROOT.test(p) || SYSTEM_ROOTS.test(p);
/** What a recursive rm must never touch: the above plus the working directory itself. */
export const isCriticalTree = (p: string): boolean => isSystemTree(p) || CWD_ALL.test(p);

/** Block devices are blocked, system files need confirmation. */
export function judgeWriteTarget(ctx: RuleContext, target: string, how: string, argv: readonly Field[] | readonly string[]): void {
  if (isBlockDevice(target)) ctx.add('blocked', `${how} block device ${target}`, argv);
  else if (isSystemFile(target)) ctx.add('confirm', `${how} system file ${target}`, argv);
}

