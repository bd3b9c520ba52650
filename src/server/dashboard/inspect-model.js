// The inspector's model, pure (no DOM): which actors exist and which states they are in after
// the first `step` recorded transitions. The page and the tests both use it.

const ENDED = new Set(['done', 'stopped', 'error']);

/** Actors by path after `step` transitions: { path: { src, machine, status, value, since } }. */
export function actorsAt(transitions, step) {
  const actors = new Map();
  for (const t of transitions.slice(0, step)) {
    actors.set(t.actor, { path: t.actor, src: t.src, machine: t.machine, status: t.to.status, value: t.to.value, since: t.seq });
  }
  return actors;
}

/** The live actors as a tree (ended ones left out unless asked): [{ ...actor, children: [...] }], root first. */
export function treeOf(actors, { showEnded = false } = {}) {
  const nodes = new Map();
  for (const a of actors.values()) if (showEnded || !ENDED.has(a.status) || a.path === 'session') nodes.set(a.path, { ...a, children: [] });
  const roots = [];
  for (const n of [...nodes.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    const parent = nodes.get(n.path.slice(0, n.path.lastIndexOf('/')));
    if (parent && n.path.includes('/')) parent.children.push(n);
    else roots.push(n);
  }
  return roots;
}

/** `session.implementing`, `session.implementing.working` for a chart's root id and a state value. */
export function activeIds(rootId, value) {
  const out = [rootId];
  const walk = (prefix, v) => {
    if (typeof v === 'string') out.push(`${prefix}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(rootId, value);
  return out;
}

/** The state value as one short line: `implementing.working`. */
export function describeValue(status, value) {
  if (status !== 'active') return status;
  if (value === undefined) return 'active';
  const parts = [];
  for (let v = value; v !== undefined; ) {
    if (typeof v === 'string') {
      parts.push(v);
      break;
    }
    const [k, child] = Object.entries(v)[0] ?? [];
    if (k === undefined) break;
    parts.push(k);
    v = child;
  }
  return parts.join('.');
}
