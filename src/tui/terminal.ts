import { ReadStream, WriteStream } from 'node:tty';

export interface Terminal {
  stdin: ReadStream;
  stdout: WriteStream;
}

/** `CI` set to anything but "false"/"0" (Ink itself renders differently in CI). */
export const inCi = (env: NodeJS.ProcessEnv): boolean => env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so does a dumb terminal. */
export const colorWanted = (env: NodeJS.ProcessEnv): boolean => !env.NO_COLOR && env.TERM !== 'dumb';

/**
 * The terminal to draw the UI on, or undefined when there is none: stdin and stdout must both
 * be TTYs (keys in, screen out) and it must not be CI. Kept free of Ink so the plain path does
 * not load React.
 */
export function tuiTerminal(io: { stdin: unknown; stdout: unknown; env: NodeJS.ProcessEnv }): Terminal | undefined {
  if (!(io.stdin instanceof ReadStream) || !(io.stdout instanceof WriteStream)) return undefined;
  if (!io.stdin.isTTY || !io.stdout.isTTY || inCi(io.env)) return undefined;
  return { stdin: io.stdin, stdout: io.stdout };
}
