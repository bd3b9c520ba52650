import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { stopSignals } from '../../src/cli/stop-signals.js';

const fakeProcess = (): EventEmitter & Pick<NodeJS.Process, 'on' | 'off'> => new EventEmitter() as EventEmitter & Pick<NodeJS.Process, 'on' | 'off'>;

describe('stop signals', () => {
  it('keeps a signal that came before anything could be stopped and delivers it once on bind', () => {
    const proc = fakeProcess();
    const signals = stopSignals(proc);
    proc.emit('SIGINT');
    proc.emit('SIGINT');
    const stops: string[] = [];
    signals.bind(() => stops.push('first'));
    expect(stops).toEqual(['first']);
    // Rebinding (the terminal UI now exists too) does not deliver the old signal again.
    signals.bind(() => stops.push('second'));
    expect(stops).toEqual(['first']);
    proc.emit('SIGTERM');
    expect(stops).toEqual(['first', 'second']);
  });

  it('hands the signals back to Node on dispose, twice without harm', () => {
    const proc = fakeProcess();
    const signals = stopSignals(proc);
    expect(proc.listenerCount('SIGINT')).toBe(1);
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    signals.dispose();
    signals.dispose();
    expect(proc.listenerCount('SIGINT')).toBe(0);
    expect(proc.listenerCount('SIGTERM')).toBe(0);
  });
});
