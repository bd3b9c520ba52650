/**
 * Static word expansion for the command policy: turns a parsed shell word (unbash AST) into the
 * fields bash would pass as argv, as far as they can be known without running anything.
 *
 * Quotes and escapes are removed (`r''m`, `\rm`, `"rm"`, `$'\x72m'` → `rm`), an unquoted
 * `$IFS` / `${IFS}` splits the word (`rm${IFS}-rf${IFS}/` → `rm`, `-rf`, `/`), and a simple
 * comma brace expansion is expanded (`{rm,-rf,/}` → `rm`, `-rf`, `/`). Anything else that only
 * the running shell knows (variables, command substitutions, arithmetic) marks the field
 * `dynamic`; its text then keeps the source spelling of that part.
 */
import type { Assignment, DoubleQuotedChild, Word, WordPart } from 'unbash';

export interface Field {
  text: string;
  /** Some part of the text is only known at run time. */
  dynamic: boolean;
}

const MAX_BRACE_FIELDS = 64;

/** A field under construction: alternatives produced by brace expansion, each a field. */
type Partial = Field[];

function appendText(current: Partial, text: string, dynamic: boolean): Partial {
  return current.map((f) => ({ text: f.text + text, dynamic: f.dynamic || dynamic }));
}

function doubleQuotedText(parts: readonly DoubleQuotedChild[]): Field {
  let text = '';
  let dynamic = false;
  for (const part of parts) {
    if (part.type === 'Literal') text += part.value;
    else {
      text += part.text;
      dynamic = true;
    }
  }
  return { text, dynamic };
}

function isIfs(part: WordPart): boolean {
  if (part.type === 'SimpleExpansion') return part.text === '$IFS';
  if (part.type === 'ParameterExpansion') return part.parameter === 'IFS' && part.prefix === undefined;
  return false;
}

/** `{a,b,c}` → ['a','b','c']; anything fancier (ranges, nesting) → undefined. */
function braceAlternatives(text: string): string[] | undefined {
  const m = /^\{([^{}]*)\}$/.exec(text);
  if (!m?.[1]?.includes(',')) return undefined;
  return m[1].split(',');
}

/** Expands one word into its fields (bash word splitting on `$IFS` included). */
export function expandWord(word: Word): Field[] {
  const parts = word.parts;
  if (!parts || parts.length === 0) return [{ text: word.value, dynamic: false }];
  const done: Field[] = [];
  let current: Partial = [{ text: '', dynamic: false }];
  let started = false;
  const flush = (): void => {
    if (started) done.push(...current);
    current = [{ text: '', dynamic: false }];
    started = false;
  };
  for (const part of parts) {
    switch (part.type) {
      case 'Literal':
      case 'SingleQuoted':
      case 'AnsiCQuoted':
        current = appendText(current, part.value, false);
        started = true;
        break;
      case 'Glob':
      case 'ExtendedGlob':
        current = appendText(current, part.text, false);
        started = true;
        break;
      case 'DoubleQuoted':
      case 'LocaleString': {
        const f = doubleQuotedText(part.parts);
        current = appendText(current, f.text, f.dynamic);
        started = true;
        break;
      }
      case 'BraceExpansion': {
        const alternatives = braceAlternatives(part.text);
        if (!alternatives || current.length * alternatives.length > MAX_BRACE_FIELDS) {
          current = appendText(current, part.text, false);
        } else {
          current = current.flatMap((f) => alternatives.map((a) => ({ text: f.text + a, dynamic: f.dynamic })));
        }
        started = true;
        break;
      }
      case 'SimpleExpansion':
      case 'ParameterExpansion':
        if (isIfs(part)) {
          flush();
        } else {
          current = appendText(current, part.text, true);
          started = true;
        }
        break;
      case 'CommandExpansion':
      case 'ArithmeticExpansion':
      case 'ProcessSubstitution':
        current = appendText(current, part.text, true);
        started = true;
        break;
    }
  }
  flush();
  return done;
}

/** Fields of a command's name and arguments, in order (assignment-looking args kept as text). */
export function expandArgs(words: readonly (Word | Assignment)[]): Field[] {
  const out: Field[] = [];
  for (const w of words) {
    if (w.type === 'Word') out.push(...expandWord(w));
    else if (w.value.type === 'Word') {
      const value = expandWord(w.value);
      out.push({ text: `${w.name}${w.append ? '+=' : '='}${value.map((f) => f.text).join(' ')}`, dynamic: value.some((f) => f.dynamic) });
    } else out.push({ text: w.text, dynamic: true });
  }
  return out;
}

/** The statically known text of a word, or undefined when some part is dynamic. */
export function staticText(word: Word | undefined): string | undefined {
  if (!word) return undefined;
  const fields = expandWord(word);
  if (fields.some((f) => f.dynamic)) return undefined;
  return fields.map((f) => f.text).join(' ');
}
