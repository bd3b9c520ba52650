/**
 * POSIX single-quoting for the one place we hand a command line to a shell (hook commands in
 * CLI settings): a word in single quotes is literal, and a quote itself becomes '\''.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

export const shellCommandLine = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');
