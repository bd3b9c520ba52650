// DOM rendering. Everything that comes from agents is untrusted text: it only ever goes into
// textContent, never into HTML.

/** Builds an element; string children become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.setAttribute('style', v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

const tokens = (u) => (u ? u.inputTokens + u.outputTokens : 0);
const cost = (u) => (u && typeof u.costUsd === 'number' ? ` · $${u.costUsd.toFixed(4)}` : '');
const ago = (iso) => {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
};

export function renderWorkers(root, workers) {
  // The phase workers first, then the reviewer runs, newest first.
  const order = (w) => (w.role === 'architect' ? 0 : w.role === 'implementer' ? 1 : 2);
  const sorted = [...workers].sort((a, b) => order(a) - order(b) || String(b.lastEventAt).localeCompare(String(a.lastEventAt))).slice(0, 12);
  root.replaceChildren(
    ...sorted.map((w) =>
      el(
        'div',
        { class: 'worker', 'data-worker': w.workerId },
        el('div', { class: 'top' }, el('strong', {}, w.workerId), el('span', { class: `status-${w.status}`, 'data-testid': 'worker-status' }, w.status)),
        el('div', { class: 'small' }, `${w.role} · ${w.agent || '?'} · attempt ${w.attempt}${w.pid ? ` · pid ${w.pid}` : ''}`),
        el('div', { class: 'bar', title: `${w.progress}%` }, el('div', { style: `width:${Math.max(0, Math.min(100, w.progress))}%` })),
        el('div', { class: 'small' }, `task: ${w.currentTask ?? '—'}`),
        el('div', { class: 'small' }, `tokens: ${tokens(w.usage)}${cost(w.usage)} · ${w.events} events`),
        el('div', { class: 'small', title: w.lastActivity ?? '' }, `${ago(w.lastEventAt)}: ${w.lastActivity ?? '—'}`),
      ),
    ),
  );
  if (sorted.length === 0) root.replaceChildren(el('p', { class: 'muted' }, 'no worker has started yet'));
}

export function renderReviews(tbody, reviews) {
  tbody.replaceChildren(
    ...[...reviews].reverse().map((r) =>
      el(
        'tr',
        {},
        el('td', {}, r.reviewId),
        el('td', { class: `a-${r.action}` }, r.action ?? '…'),
        el('td', {}, r.reasons.join('; ')),
        el('td', {}, ...r.reviews.map((v) => el('div', {}, el('span', { class: `v-${v.verdict}` }, `${v.reviewer}: ${v.verdict}`), v.outcome !== 'answered' ? ` (${v.outcome})` : '', ` — ${v.summary}`))),
      ),
    ),
  );
}

export function renderRecoveries(tbody, recoveries) {
  tbody.replaceChildren(...recoveries.map((r) => el('tr', {}, el('td', {}, r.workerId), el('td', {}, r.kind), el('td', {}, r.change ? `${r.action}: ${r.change}` : r.action), el('td', {}, r.outcome), el('td', {}, r.evidence))));
  if (recoveries.length === 0) tbody.replaceChildren(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'none')));
}

const TITLES = { escalated: 'Escalated: the session waits for your decision', awaitingClarification: 'The reviewers need a clarification', paused: 'Paused' };

export function renderInbox(root, waiting) {
  root.hidden = !waiting;
  if (!waiting) return;
  root.querySelector('#inbox-title').textContent = TITLES[waiting.kind] ?? waiting.kind;
  root.querySelector('#inbox-text').textContent = waiting.text;
  root.querySelector('#inbox-suggestions').replaceChildren(...waiting.suggestions.map((s) => el('li', {}, s)));
  for (const node of root.querySelectorAll('[data-waiting]')) node.hidden = !node.dataset.waiting.split(' ').includes(waiting.kind);
}

/** The statechart as nested boxes; active states highlighted. */
export function renderChart(root, chart, active) {
  const on = new Set(active);
  const box = (n) =>
    el(
      'div',
      { class: `state ${n.type}${on.has(n.id) ? ' active' : ''}`, 'data-state': n.id, title: n.events.length ? `takes: ${n.events.join(', ')}` : '' },
      el('div', { class: 'name' }, n.key),
      n.states.length ? el('div', { class: 'kids' }, ...n.states.map(box)) : null,
    );
  root.replaceChildren(box(chart));
}

export function eventLine(e) {
  const who = e.agent === 'orchestrate' ? 'orchestrate' : `${e.workerId}(${e.agent})`;
  const kind = e.payload.kind ? `/${e.payload.kind}` : '';
  const text = String(e.payload.text ?? '').split('\n')[0].slice(0, 400);
  return el('li', { class: `t-${e.type.replace(/\./g, '-')}`, 'data-seq': e.seq }, el('span', { class: 'seq' }, `#${e.seq} ${e.timestamp.slice(11, 19)} `), `${who} ${e.type}${kind}: ${text}`);
}

/** Commands the guard holds until you decide; each gets its own Approve / Reject. */
export function renderConfirmations(root, list, answer) {
  root.hidden = list.length === 0;
  root.querySelector('#confirmation-list').replaceChildren(
    ...list.map((c) => {
      const approve = el('button', { 'data-confirm': c.id }, 'Approve');
      const reject = el('button', { class: 'danger', 'data-confirm': c.id }, 'Reject');
      approve.addEventListener('click', () => answer(c.id, true));
      reject.addEventListener('click', () => answer(c.id, false));
      return el('li', {}, el('code', {}, `${c.tool}: ${c.subject}`), ' ', el('span', { class: 'muted' }, c.reason), ' ', approve, ' ', reject);
    }),
  );
}
