import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHARTS } from '../../src/inspect/charts.js';
import { toDot } from '../../src/inspect/dot.js';

/** Graphviz itself reads the output (.ci/run installs it): a syntax slip fails here, not for the user. */
const render = (dot: string): string => execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });

describe('Graphviz statecharts', () => {
  it('every chart is a graph Graphviz lays out, compound states as clusters', () => {
    for (const chart of Object.values(CHARTS)) expect(render(toDot(chart))).toContain('<svg');
    const svg = render(toDot(CHARTS.session));
    expect(svg).toContain('<title>cluster_session.implementing</title>');
  });

  it('fills the active states and outlines the active compound state', () => {
    const dot = toDot(CHARTS.session, ['session', 'session.implementing', 'session.implementing.working'], 'session · implementing.working');
    expect(dot).toContain('"session.implementing.working" [label="working", style="rounded,filled", fillcolor="#fde68a", color="#b45309", penwidth=2];');
    expect(dot).toContain('"session.implementing.next" [label="next"];');
    expect(dot).toMatch(/subgraph "cluster_session\.implementing" \{\n {4}label="implementing";\n {4}style=rounded;\n {4}color="#b45309";/);
    expect(dot).toContain('label="session · implementing.working";');
    // A transition to a compound state ends at its cluster (lhead), from its entry point.
    expect(dot).toContain('"session.planning.reviewing" -> "session.implementing.__entry" [label="done: phaseReview [decisionIs(CONTINUE|LOG_WARNING)]", lhead="cluster_session.implementing"];');
    expect(render(dot)).toContain('fill="#fde68a"');
  });

  it('quotes labels so that any text stays one id', () => {
    const dot = toDot({ ...CHARTS.recovery, key: 'x' }, [], 'a "quoted" title\nnext line');
    expect(dot).toContain('label="a \\"quoted\\" title\\nnext line";');
    expect(render(dot)).toContain('<svg');
  });
});
