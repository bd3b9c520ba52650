import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../src/server/routes-stream.js';

const tick = (): Promise<void> => new Promise((r) => process.nextTick(r));

describe('a turn batch: what one turn sends a client, handed over in one piece', () => {
  it('counts the bytes it holds against the client until it hands them over at the end of the turn', async () => {
    const flushed: string[][] = [];
    const batch = new TurnBatch<string>((parts) => flushed.push([...parts]));
    batch.add('a', 10);
    batch.add('b', 32);
    expect(batch.pending).toBe(42);
    expect(flushed).toEqual([]);
    await tick();
    expect(flushed).toEqual([['a', 'b']]);
    expect(batch.pending).toBe(0);
  });

  it('hands over at once when asked (before a drop), and not again at the end of the turn', async () => {
    const flushed: string[][] = [];
    const batch = new TurnBatch<string>((parts) => flushed.push([...parts]));
    batch.add('x', 5);
    batch.send();
    expect(flushed).toEqual([['x']]);
    expect(batch.pending).toBe(0);
    await tick();
    expect(flushed).toEqual([['x']]);
    batch.send();
    expect(flushed).toHaveLength(1);
  });
});
