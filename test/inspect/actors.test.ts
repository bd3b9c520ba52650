import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actorTree, machineActors } from '../../src/inspect/actors.js';

const SNAPSHOT = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inspect', 'snapshot-recovering.json'), 'utf8')) as unknown;

describe('the actor tree of a persisted snapshot', () => {
  it('has every actor with its path, src, status and (for statecharts) state', () => {
    const tree = actorTree(SNAPSHOT);
    if ('kind' in tree) throw new Error(tree.message);
    const flat: string[] = [];
    const walk = (n: typeof tree): void => {
      flat.push(`${n.path} ${n.src} ${n.machine ?? '-'} ${n.status} ${JSON.stringify(n.value ?? null)}`);
      n.children.forEach(walk);
    };
    walk(tree);
    expect(flat).toEqual([
      'session session session active {"implementing":"working"}',
      'session/implementer worker worker active "recovering"',
      'session/implementer/recovery recovery recovery active "verifying"',
      'session/implementer/proc-2 agentProcess - active null',
      'session/review-2 review review active "collecting"',
      'session/review-2/reviewer-codex reviewerRun - active null',
    ]);
    expect(machineActors(tree).map((a) => a.path)).toEqual(['session', 'session/implementer', 'session/implementer/recovery', 'session/review-2']);
  });

  it('a finished session is its root alone', () => {
    const tree = actorTree({ status: 'done', value: 'completed', context: {}, children: {} });
    expect(tree).toMatchObject({ path: 'session', status: 'done', value: 'completed', children: [] });
  });

  it('refuses what is not a snapshot, saying where', () => {
    for (const bad of [null, 'text', { status: 3 }, { children: { a: { snapshot: { status: [] } } } }]) {
      const r = actorTree(bad);
      expect(r).toMatchObject({ kind: 'bad_snapshot' });
    }
    expect(actorTree({ children: { a: { snapshot: { status: [] } } } })).toMatchObject({ message: expect.stringContaining('children.a.snapshot.status') as unknown });
  });
});
