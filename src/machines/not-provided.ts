import { fromCallback, fromPromise } from 'xstate';

/**
 * Machines declare the effect actors they use by name, with these placeholders; the
 * runtime (and tests) supply real logic with `machine.provide({ actors })`. Running a
 * machine without providing one fails loudly instead of doing nothing.
 */
export function callbackNotProvided<TEvent extends { type: string }, TInput, TEmitted extends { type: string }>(name: string) {
  return fromCallback<TEvent, TInput, TEmitted>(() => {
    throw new Error(`actor "${name}" was not provided to the machine`);
  });
}

export function promiseNotProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(() => Promise.reject(new Error(`actor "${name}" was not provided to the machine`)));
}
