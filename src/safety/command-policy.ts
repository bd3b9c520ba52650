/**
 * Command policy: judges a shell command line before an agent's tool call runs it.
 *
 * The line is parsed with `unbash` (a maintained, synchronous, dependency-free bash parser) and
 * every simple command in it is judged: pipelines, `&&`/`||`/`;` lists, subshells, groups,
 * control flow, function bodies, `$(…)`, backticks, process substitutions, parameter-expansion
 * defaults, redirect targets, and shell code hidden in strings (`bash -c`, `eval`, here-strings
 * into a shell, `echo … | sh`, `git -c alias.x='!…'`), which is parsed again recursively.
 * Wrappers (`sudo`, `env`, `timeout`, `xargs`, `find -exec`, …) are peeled off, see
 * `command-rules.ts`; quoting, escapes, `$IFS` splitting and brace expansion are resolved
 * statically, see `command-words.ts`.
 *
 * Verdict: any `blocked` finding → block; any `confirm`, `monitor` or `unparseable` finding →
 * confirm (monitor findings are treated as confirm); none → allow. Pure, never throws.
 */
import { forEachChild, parse } from 'unbash';
import type { Command, Function as FunctionNode, Pipeline, Redirect, Redirection, SyntaxNode } from 'unbash';
import { analyzeArgv, basename, judgeWriteTarget, programName, readsCodeFromStdin, resolveLayers, type RuleContext, type Stdin } from './command-rules.js';
import { expandArgs, staticText, type Field } from './command-words.js';

export type CommandVerdict = 'allow' | 'confirm' | 'block';
export type CommandClass = 'blocked' | 'confirm' | 'monitor' | 'unparseable';
export interface CommandFinding {
  class: CommandClass;
  command: string;
  reason: string;
}
export interface CommandDecision {
  verdict: CommandVerdict;
  findings: CommandFinding[];
}
export interface CommandPolicyConfig {
  blockedCommands: string[];
  confirmCommands: string[];
  monitorPatterns: string[];
}

/** Longer input is not parsed at all (→ unparseable, confirm). */
const MAX_COMMAND_LENGTH = 1_000_000;
/** Nesting of shell strings parsed again (`bash -c "eval '…'"`). */
const MAX_SCRIPT_DEPTH = 12;
/** Total re-parsed strings per call, so a crafted line cannot make the policy slow. */
const MAX_SCRIPTS = 500;
const MAX_SHOWN = 2000;

interface ConfigEntry {
  cls: CommandClass;
  list: string;
  text: string;
  /** One word list per pipeline stage (a pattern like `curl | sh` has two). */
  stages: string[][];
}

function compileConfig(config: Partial<CommandPolicyConfig> | undefined): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const add = (cls: CommandClass, list: string, entries: unknown): void => {
    if (!Array.isArray(entries)) return;
    for (const e of entries) {
      if (typeof e !== 'string') continue;
      const stages = e
        .split('|')
        .map((s) => s.trim().split(/\s+/).filter(Boolean))
        .filter((s) => s.length > 0);
      if (stages.length > 0) out.push({ cls, list, text: e.trim(), stages });
    }
  };
  add('blocked', 'blockedCommands', config?.blockedCommands);
  add('confirm', 'confirmCommands', config?.confirmCommands);
  add('monitor', 'monitorPatterns', config?.monitorPatterns);
  return out;
}

/**
 * A configured entry (`terraform destroy`, `rm -rf`) matches an argv when the program is the
 * same (by basename; `mkfs` also matches `mkfs.ext4`), the entry's operands are a prefix of the
 * argv's operands, and the entry's option letters/names all appear in the argv — so `rm -rf`
 * matches `rm -f -r x`, and `git push` matches `git push -f origin`.
 */
function entryMatches(entry: readonly string[], argv: readonly string[]): boolean {
  const [prog, ...words] = entry;
  const [argProg, ...args] = argv;
  if (prog === undefined || argProg === undefined) return false;
  const p = basename(prog);
  if (argProg !== p && !argProg.startsWith(`${p}.`)) return false;
  if (words.every((w, i) => args[i] === w)) return true;
  const end = args.indexOf('--');
  const optionArgs = end >= 0 ? args.slice(0, end) : args;
  const operands = [...optionArgs.filter((a) => !a.startsWith('-') || a === '-'), ...(end >= 0 ? args.slice(end + 1) : [])];
  const entryOperands = words.filter((w) => !w.startsWith('-'));
  if (!entryOperands.every((w, i) => operands[i] === w)) return false;
  const shortLetters = new Set(optionArgs.filter((a) => /^-[A-Za-z0-9]+$/.test(a)).flatMap((a) => [...a.slice(1)]));
  const longNames = new Set(optionArgs.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]));
  return words
    .filter((w) => w.startsWith('-'))
    .every((w) => (w.startsWith('--') ? longNames.has(w.split('=')[0]) : [...w.slice(1)].every((c) => shortLetters.has(c))));
}

const show = (argv: readonly Field[] | readonly string[]): string => argv.map((f) => (typeof f === 'string' ? f : f.text)).join(' ');
const clip = (s: string): string => (s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);

class Analysis {
  readonly findings: CommandFinding[] = [];
  private readonly seen = new Set<string>();
  private scripts = 0;

  constructor(private readonly config: ConfigEntry[]) {}

  add(cls: CommandClass, command: string, reason: string): void {
    const key = `${cls}\u0000${command}\u0000${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({ class: cls, command: clip(command), reason: clip(reason) });
  }

  private addConfig(entry: ConfigEntry, command: string, argv: readonly string[]): void {
    // A built-in finding of the same class on the same command already says it.
    if (this.findings.some((f) => f.class === entry.cls && f.command === clip(command))) return;
    this.add(entry.cls, command, `${entry.cls}: matches ${entry.list} entry "${entry.text}" (${show(argv)})`);
  }

  matchSimple(command: string, argv: readonly string[]): void {
    for (const entry of this.config) {
      const only = entry.stages.length === 1 ? entry.stages[0] : undefined;
      if (only && entryMatches(only, argv)) this.addConfig(entry, command, argv);
    }
  }

  matchPipeline(command: string, stages: readonly (readonly string[][])[]): void {
    for (const entry of this.config) {
      if (entry.stages.length < 2) continue;
      let k = 0;
      for (const layers of stages) {
        const want = entry.stages[k];
        if (want && layers.some((argv) => entryMatches(want, argv))) k++;
      }
      if (k === entry.stages.length) this.addConfig(entry, command, [entry.text]);
    }
  }

  /** Parses shell source and judges everything in it. */
  script(source: string, depth: number, origin: string): void {
    if (depth > MAX_SCRIPT_DEPTH || this.scripts >= MAX_SCRIPTS) {
      this.add('unparseable', origin, 'unparseable: shell code nested too deeply to analyse');
      return;
    }
    this.scripts++;
    if (source.length > MAX_COMMAND_LENGTH) {
      this.add('unparseable', origin, `unparseable: command longer than ${MAX_COMMAND_LENGTH} characters`);
      return;
    }
    if (source.includes('\u0000')) {
      this.add('unparseable', origin, 'unparseable: command contains a NUL byte');
      return;
    }
    const ast = parse(source);
    this.visit(ast, source, depth, origin);
  }

  private visit(node: SyntaxNode, source: string, depth: number, owner: string): void {
    let src = source;
    let own = owner;
    switch (node.type) {
      case 'Script':
        if (node.source !== undefined) src = node.source;
        if ('errors' in node && node.errors && node.errors.length > 0) {
          const e = node.errors[0];
          this.add('unparseable', src, `unparseable: ${e?.message ?? 'syntax error'} at offset ${e?.pos ?? 0}`);
        }
        break;
      case 'Command':
        own = src.slice(node.pos, node.end);
        this.command(node, own, depth);
        break;
      case 'Redirected':
        own = src.slice(node.pos, node.end);
        break;
      case 'Pipeline':
        this.pipeline(node, src.slice(node.pos, node.end), depth);
        break;
      case 'Function':
        this.forkBomb(node, src.slice(node.pos, node.end));
        break;
      case 'Redirect':
        this.redirect(node, own);
        break;
      case 'HereDoc':
        if (!node.closing) this.add('unparseable', own, `unparseable: here-document without its closing ${node.delimiter?.value ?? 'delimiter'} line`);
        break;
      default:
        break;
    }
    forEachChild(node, (child) => this.visit(child, src, depth, own));
  }

  private context(command: string, depth: number, stdin: Stdin): RuleContext {
    return {
      stdin,
      add: (cls, what, argv) => this.add(cls, command, `${cls}: ${what} (${show(argv)})`),
      runScript: (source) => this.script(source, depth + 1, command),
      matchConfig: (argv) => this.matchSimple(command, argv),
    };
  }

  private command(node: Command, text: string, depth: number): void {
    if (!node.name) return;
    const argv = expandArgs([node.name, ...node.args]);
    analyzeArgv(argv, this.context(text, depth, stdinOf(node.redirects)), 0);
  }

  private redirect(node: Redirect, owner: string): void {
    const op = node.operator;
    const writes = op === '>' || op === '>>' || op === '>|' || op === '&>' || op === '&>>' || op === '<>' || op === '>&';
    if (!writes || !node.target) return;
    const target = staticText(node.target);
    if (target === undefined || /^\d+-?$|^-$/.test(target)) return;
    judgeWriteTarget(this.context(owner, 0, { kind: 'none' }), target, `redirect ${op} writes to`, [`${op} ${target}`]);
  }

  /** Self-recursive function that calls itself in a pipeline or in the background. */
  private forkBomb(node: FunctionNode, text: string): void {
    const name = staticText(node.name);
    if (name === undefined) return;
    let found = false;
    const walk = (n: SyntaxNode, spawning: boolean): void => {
      if (found) return;
      if (n.type === 'Command' && n.name && staticText(n.name) === name && spawning) {
        found = true;
        return;
      }
      const next = spawning || n.type === 'Pipeline' || (n.type === 'Statement' && n.background === true);
      forEachChild(n, (c) => walk(c, next));
    };
    walk(node.body, false);
    if (found) this.add('blocked', text, `blocked: fork bomb (function ${name} spawns itself)`);
  }

  private pipeline(node: Pipeline, text: string, depth: number): void {
    const stages = node.commands.map((c) => (c.type === 'Command' && c.name ? { node: c, argv: expandArgs([c.name, ...c.args]) } : undefined));
    const layers = stages.map((s) => (s ? resolveLayers(s.argv).map((l) => l.map((f) => (f === l[0] ? (programName(f) ?? f.text) : f.text))) : []));
    for (let j = 1; j < stages.length; j++) {
      const stage = stages[j];
      if (!stage || stdinOf(stage.node.redirects).kind !== 'none') continue;
      const finalLayers = resolveLayers(stage.argv);
      const final = finalLayers[finalLayers.length - 1] ?? [];
      const kind = readsCodeFromStdin(final);
      if (!kind) continue;
      const program = programName(final[0]) ?? 'shell';
      const content = kind === 'shell' ? producedText(stages, j - 1) : undefined;
      if (content !== undefined) {
        this.script(content, depth + 1, text);
        continue;
      }
      const before = stages.slice(0, j).map((s) => (s ? resolveLayers(s.argv).map((l) => programName(l[0]) ?? '') : []).flat());
      const names = new Set(before.flat());
      const download = ['curl', 'wget', 'fetch', 'aria2c', 'http', 'https', 'xh', 'nc', 'ncat', 'socat', 'lynx', 'links'].some((n) => names.has(n));
      const decode = ['base64', 'base32', 'basenc', 'xxd', 'openssl', 'gunzip', 'zcat', 'gzip', 'bzip2', 'xz', 'uudecode', 'rev', 'tr', 'gpg'].some((n) => names.has(n));
      const what = download ? 'downloaded content' : decode ? 'decoded content' : 'output of another command';
      this.add('monitor', text, `monitor: ${what} piped into ${program} (${text})`);
    }
    this.matchPipeline(text, layers);
  }
}

/** What the command's own redirections feed to stdin. */
function stdinOf(redirects: readonly Redirection[]): Stdin {
  let stdin: Stdin = { kind: 'none' };
  for (const r of redirects) {
    const fd = r.descriptor?.type === 'FileDescriptor' ? r.descriptor.value : undefined;
    if (fd !== undefined && fd !== 0) continue;
    if (r.type === 'HereString') {
      const t = staticText(r.target);
      stdin = t === undefined ? { kind: 'dynamic' } : { kind: 'text', text: `${t}\n` };
    } else if (r.type === 'HereDoc') {
      const dynamic = !r.delimiter?.quoted && (r.body.parts ?? []).some((p) => p.type !== 'Literal');
      stdin = dynamic ? { kind: 'dynamic' } : { kind: 'text', text: r.body.text };
    } else if (r.operator === '<' || r.operator === '<>') {
      stdin = { kind: 'file' };
    }
  }
  return stdin;
}

const unescape = (s: string): string =>
  s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, c: string) => {
    if (c.startsWith('x')) return String.fromCharCode(parseInt(c.slice(1), 16));
    if (/^[0-7]+$/.test(c)) return String.fromCharCode(parseInt(c, 8));
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\', a: '', e: '' } as Record<string, string>)[c] ?? `\\${c}`;
  });

/**
 * The text a pipeline stage writes, when it is statically known: `echo`/`printf` of literals,
 * `cat` of a here-string/here-doc or of the previous stage, `base64 -d` of known text.
 */
function producedText(stages: readonly ({ node: Command; argv: Field[] } | undefined)[], index: number): string | undefined {
  const stage = stages[index];
  if (!stage) return undefined;
  const layers = resolveLayers(stage.argv);
  const argv = layers[layers.length - 1] ?? [];
  if (argv.some((f) => f.dynamic)) return undefined;
  const name = programName(argv[0]);
  const args = argv.slice(1).map((f) => f.text);
  const stdin = stdinOf(stage.node.redirects);
  const input = (): string | undefined => (stdin.kind === 'text' ? stdin.text : stdin.kind === 'none' && index > 0 ? producedText(stages, index - 1) : undefined);
  switch (name) {
    case 'echo': {
      let i = 0;
      let escapes = false;
      while (/^-[neE]+$/.test(args[i] ?? '')) {
        if (args[i]?.includes('e')) escapes = true;
        i++;
      }
      const body = args.slice(i).join(' ');
      return `${escapes ? unescape(body) : body}\n`;
    }
    case 'printf': {
      const [format = '', ...rest] = args[0] === '--' ? args.slice(1) : args;
      let k = 0;
      return unescape(format).replace(/%[sb]/g, () => rest[k++] ?? '');
    }
    case 'cat':
      return args.length === 0 || (args.length === 1 && args[0] === '-') ? input() : undefined;
    case 'base64': {
      if (!args.some((a) => a === '-d' || a === '--decode' || a === '-D' || /^-[a-z]*d/.test(a))) return undefined;
      const text = input();
      return text === undefined ? undefined : Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
    }
    default:
      return undefined;
  }
}

const VERDICT_OF: Record<CommandClass, CommandVerdict> = { blocked: 'block', confirm: 'confirm', monitor: 'confirm', unparseable: 'confirm' };
const RANK: Record<CommandVerdict, number> = { allow: 0, confirm: 1, block: 2 };

/** Judges a shell command line. Pure and synchronous; never throws. */
export function classifyCommand(command: string, config?: Partial<CommandPolicyConfig>): CommandDecision {
  let analysis: Analysis;
  try {
    analysis = new Analysis(compileConfig(config));
  } catch {
    analysis = new Analysis([]);
  }
  try {
    if (typeof command !== 'string') analysis.add('unparseable', String(command), 'unparseable: command is not a string');
    else analysis.script(command, 0, command);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    analysis.add('unparseable', typeof command === 'string' ? command : '', `unparseable: the command could not be analysed (${message})`);
  }
  let verdict: CommandVerdict = 'allow';
  for (const f of analysis.findings) {
    const v = VERDICT_OF[f.class];
    if (RANK[v] > RANK[verdict]) verdict = v;
  }
  return { verdict, findings: analysis.findings };
}
