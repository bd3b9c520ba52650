// Draws a statechart with the ELK layout engine (served from the installed elkjs package as
// the global ELK): compound states as boxes holding their children, transitions as arrows
// labelled with their event (the guard is in the arrow's tooltip). A chart is laid out once;
// highlighting active states only changes classes.

const SVG = 'http://www.w3.org/2000/svg';
const NODE_H = 30;
const CHAR_W = 7.4;
const PAD = '[top=30,left=14,bottom=14,right=14]';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const eventOnly = (label) => label.split(' [')[0];

export function elkGraph(chart, edges) {
  const pseudo = [];
  const links = [];
  const node = (s) => {
    if (s.states.length === 0) return { id: s.id, width: Math.max(70, s.key.length * CHAR_W + 24), height: NODE_H };
    return { id: s.id, labels: [{ text: s.key }], layoutOptions: { 'elk.padding': PAD }, children: children(s) };
  };
  const children = (s) => {
    const kids = s.states.map(node);
    if (s.initial) {
      kids.unshift({ id: `${s.id}.__initial`, width: 12, height: 12 });
      links.push({ id: `init:${s.id}`, sources: [`${s.id}.__initial`], targets: [`${s.id}.${s.initial}`] });
    }
    return kids;
  };
  const top = children(chart);
  if (edges.some((e) => e.from === chart.id)) pseudo.push({ id: `${chart.id}.__any`, width: 90, height: 24 });
  // Transitions between the same two states are one arrow: its label names the events, its
  // tooltip lists every transition with its guard.
  const merged = new Map();
  for (const e of edges) {
    const from = e.from === chart.id ? `${chart.id}.__any` : e.from;
    const key = `${from}\u0000${e.to}`;
    if (!merged.has(key)) merged.set(key, { from, to: e.to, labels: [] });
    merged.get(key).labels.push(e.label);
  }
  [...merged.values()].forEach((m, i) => {
    const events = [...new Set(m.labels.map(eventOnly))];
    const text = events.length > 2 ? `${events[0]} +${events.length - 1}` : events.join(', ');
    // Labels are not given to ELK: as layout labels they widen the layers several times over.
    links.push({ id: `e${i}`, sources: [m.from], targets: [m.to], text, label: m.labels.join('\n') });
  });
  return {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '22',
      'elk.spacing.edgeLabel': '2',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [...pseudo, ...top],
    edges: links,
  };
}

/** Lays a chart out (async: ELK); the result is drawn by `drawChart` as often as needed. */
export async function layoutChart(chart, edges) {
  // ELK is the global that /vendor/elk.js defines.
  const elk = new ELK();
  const graph = elkGraph(chart, edges);
  const labels = new Map(graph.edges.map((e) => [e.id, { text: e.text, title: e.label }]));
  const laid = await elk.layout(graph);
  return { chart, laid, labels, finals: new Set(collect(chart).filter((s) => s.type === 'final').map((s) => s.id)) };
}

/** The middle of an edge's longest segment: where its label is least in the way. */
function middleOf(pts) {
  let best = { x: pts[0].x, y: pts[0].y, len: -1 };
  for (let i = 1; i < pts.length; i++) {
    const len = Math.abs(pts[i].x - pts[i - 1].x) + Math.abs(pts[i].y - pts[i - 1].y);
    if (len > best.len) best = { x: (pts[i].x + pts[i - 1].x) / 2, y: (pts[i].y + pts[i - 1].y) / 2, len };
  }
  return best;
}

const collect = (s) => [s, ...s.states.flatMap(collect)];

/** The SVG of a laid-out chart; states carry `data-state` and the class `active` when active. */
export function drawChart(layout, active) {
  const on = new Set(active);
  const { laid, labels, finals } = layout;
  const root = svg('svg', { class: 'statechart', width: laid.width, height: laid.height, viewBox: `0 0 ${laid.width} ${laid.height}`, role: 'img', 'aria-label': `statechart ${layout.chart.id}` });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
  defs.append(marker);
  root.append(defs);
  const shapes = svg('g');
  const walk = (n) => {
    const kind = n.id.endsWith('.__initial') ? 'initial' : n.id.endsWith('.__any') ? 'any' : n.children?.length ? 'compound' : 'atomic';
    if (kind === 'initial') shapes.append(svg('circle', { cx: n.x + 6, cy: n.y + 6, r: 6, class: 'initial' }));
    else if (kind === 'any') shapes.append(svg('text', { x: n.x + n.width / 2, y: n.y + 16, class: 'any', 'text-anchor': 'middle' }, '(any state)'));
    else {
      const key = n.id.slice(n.id.lastIndexOf('.') + 1);
      const g = svg('g', { class: `state ${kind}${on.has(n.id) ? ' active' : ''}${finals.has(n.id) ? ' final' : ''}`, 'data-state': n.id });
      g.append(svg('title', {}, n.id));
      g.append(svg('rect', { x: n.x, y: n.y, width: n.width, height: n.height, rx: 6 }));
      if (finals.has(n.id)) g.append(svg('rect', { x: n.x + 3, y: n.y + 3, width: n.width - 6, height: n.height - 6, rx: 4, class: 'inner' }));
      g.append(svg('text', kind === 'compound' ? { x: n.x + 10, y: n.y + 19 } : { x: n.x + n.width / 2, y: n.y + 19, 'text-anchor': 'middle' }, key));
      shapes.append(g);
    }
    (n.children ?? []).forEach(walk);
  };
  (laid.children ?? []).forEach(walk);
  const arrows = svg('g', { class: 'edges' });
  for (const e of laid.edges ?? []) {
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      const g = svg('g', { class: 'edge' });
      const label = labels.get(e.id);
      g.append(svg('title', {}, label?.title ?? ''));
      g.append(svg('path', { d: pts.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' '), 'marker-end': 'url(#arrow)' }));
      if (label?.text) {
        const at = middleOf(pts);
        g.append(svg('text', { x: at.x + 3, y: at.y - 3, class: 'label' }, label.text));
      }
      arrows.append(g);
    }
  }
  root.append(shapes, arrows);
  return root;
}
