// The statechart inspector: the actor tree and each actor's statechart at any recorded
// transition (the event log's `machine.transition` entries; the slider steps through them,
// following new ones live), and the live inspection records of the session's actors.
import { drawChart, layoutChart } from './inspect-draw.js';
import { activeIds, actorsAt, describeValue, treeOf } from './inspect-model.js';
import { el } from './render.js';

const $ = (sel) => document.querySelector(sel);
const MAX_RECORDS = 500;
const state = { sessionId: undefined, machines: {}, layouts: new Map(), transitions: [], current: null, step: 0, selected: 'session', records: [], sockets: [], retry: 0 };

async function api(path) {
  const res = await fetch(path);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message ?? `${res.status} ${res.statusText}`);
  return body;
}

function setConnection(up, text) {
  $('#connection').className = `conn ${up ? 'up' : 'down'}`;
  $('#connection').textContent = text;
}

/** Without recorded transitions (a session from before they were recorded): the saved snapshot. */
function actorsFromCurrent() {
  const out = new Map();
  const walk = (n) => {
    out.set(n.path, { path: n.path, src: n.src, machine: n.machine, status: n.status, value: n.value });
    n.children.forEach(walk);
  };
  if (state.current?.actors) walk(state.current.actors);
  return out;
}

const actorsNow = () => (state.transitions.length ? actorsAt(state.transitions, state.step) : actorsFromCurrent());

function renderTree(actors) {
  const item = (n) =>
    el(
      'li',
      { 'data-actor': n.path },
      n.machine
        ? el('button', { class: `actor${n.path === state.selected ? ' selected' : ''}`, 'data-actor-button': n.path }, `${n.path.split('/').at(-1)} `, el('span', { class: 'muted' }, `${n.machine} · ${describeValue(n.status, n.value)}`))
        : el('span', { class: 'actor leaf' }, `${n.path.split('/').at(-1)} `, el('span', { class: 'muted' }, `${n.src} · ${n.status}`)),
      n.children.length ? el('ul', {}, ...n.children.map(item)) : null,
    );
  $('#actors').replaceChildren(...treeOf(actors, { showEnded: $('#ended').checked }).map(item));
  for (const b of document.querySelectorAll('[data-actor-button]')) {
    b.addEventListener('click', () => {
      state.selected = b.dataset.actorButton;
      void render();
    });
  }
}

async function renderChart(actors) {
  const actor = actors.get(state.selected) ?? actors.get('session');
  const target = $('#chart');
  if (!actor?.machine || !state.machines[actor.machine]) {
    target.replaceChildren(el('p', { class: 'muted' }, 'no statechart at this step'));
    return;
  }
  const { chart, edges } = state.machines[actor.machine];
  if (!state.layouts.has(actor.machine)) state.layouts.set(actor.machine, layoutChart(chart, edges));
  const layout = await state.layouts.get(actor.machine);
  $('#chart-title').textContent = `${actor.path} (${actor.machine}) · ${describeValue(actor.status, actor.value)}`;
  // A finished machine still shows the final state it ended in.
  target.replaceChildren(drawChart(layout, actor.value !== undefined ? activeIds(chart.id, actor.value) : []));
}

async function render() {
  const n = state.transitions.length;
  $('#step').max = String(n);
  $('#step').value = String(state.step);
  const t = state.transitions[state.step - 1];
  $('#step-info').textContent = n === 0 ? 'no recorded transitions: showing the saved snapshot' : state.step === 0 ? `before the first of ${n} transitions` : `${state.step}/${n} · #${t.seq} ${t.at.slice(11, 23)} · ${t.text}`;
  const actors = actorsNow();
  renderTree(actors);
  await renderChart(actors);
}

function go(step) {
  state.step = Math.max(0, Math.min(state.transitions.length, step));
  $('#follow').checked = state.step === state.transitions.length;
  void render();
}

function renderRecords() {
  const type = $('#record-type').value;
  const text = $('#record-text').value.trim().toLowerCase();
  const shown = state.records.filter((r) => (!type || r.type === type) && (!text || r.actor.toLowerCase().includes(text) || String(r.event?.type ?? '').toLowerCase().includes(text)));
  $('#records').replaceChildren(
    ...shown.slice(-200).map((r) => {
      const what = r.type === 'inspect.transition' ? r.transitions.map((x) => `${x.source} → ${x.targets.join(', ') || '(actions)'}`).join('; ') : r.type === 'inspect.snapshot' ? describeValue(r.status, r.value) : r.type === 'inspect.actor' ? `${r.src}` : JSON.stringify(r.event);
      return el('li', { class: `t-${r.type.replace('.', '-')}` }, el('span', { class: 'seq' }, `${r.n} ${r.at.slice(11, 23)} `), `${r.type.slice(8)} ${r.actor}${r.source ? ` ← ${r.source}` : ''}${r.event?.type && r.type !== 'inspect.event' ? ` (${r.event.type})` : ''}: ${what}`);
    }),
  );
  $('#record-count').textContent = `(${shown.length} of ${state.records.length})`;
}

function closeSockets() {
  for (const s of state.sockets) s.close();
  state.sockets = [];
}

/** The event stream brings new transitions; the inspection socket the live records. */
function connect() {
  const id = encodeURIComponent(state.sessionId);
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const since = state.transitions.at(-1)?.seq ?? 0;
  const events = new WebSocket(`${proto}://${location.host}/api/sessions/${id}/ws?since=${since}&batch=1`);
  events.onopen = () => setConnection(true, 'live');
  events.onmessage = (m) => {
    const data = JSON.parse(m.data);
    let added = false;
    for (const e of Array.isArray(data) ? data : [data]) {
      if (e.type !== 'machine.transition' || e.sessionId !== state.sessionId) continue;
      if (state.transitions.length && e.seq <= state.transitions.at(-1).seq) continue;
      state.transitions.push({ seq: e.seq, at: e.timestamp, ...e.payload });
      added = true;
    }
    if (!added) return;
    if ($('#follow').checked) state.step = state.transitions.length;
    void render();
  };
  events.onclose = () => {
    setConnection(false, 'disconnected — retrying');
    setTimeout(() => void load(state.sessionId), Math.min(5000, 500 * ++state.retry));
  };
  const live = new WebSocket(`${proto}://${location.host}/api/sessions/${id}/inspect/ws`);
  live.onmessage = (m) => {
    state.records.push(JSON.parse(m.data));
    if (state.records.length > MAX_RECORDS) state.records.splice(0, state.records.length - MAX_RECORDS);
    renderRecords();
  };
  live.onclose = (e) => {
    if (e.code === 4409) $('#live-note').textContent = e.reason;
  };
  state.sockets = [events, live];
}

async function load(sessionId) {
  closeSockets();
  state.sessionId = sessionId;
  state.records = [];
  $('#live-note').textContent = '';
  renderRecords();
  try {
    const data = await api(`/api/sessions/${encodeURIComponent(sessionId)}/inspect`);
    state.transitions = data.transitions;
    state.current = data.current;
    if ($('#follow').checked || state.step > state.transitions.length) state.step = state.transitions.length;
    state.retry = 0;
    await render();
    connect();
  } catch (error) {
    setConnection(false, `could not load: ${error.message}`);
  }
}

async function start() {
  state.machines = await api('/api/machines');
  const sessions = await api('/api/sessions');
  const wanted = new URLSearchParams(location.search).get('session');
  $('#session').replaceChildren(...sessions.map((s) => new Option(`${s.id} · ${s.status}${s.live ? ' · live' : ''}`, s.id)));
  const first = sessions.find((s) => s.id === wanted) ?? sessions.find((s) => s.live) ?? sessions[0];
  if (!first) {
    $('#step-info').textContent = 'the store has no session yet';
    return;
  }
  $('#session').value = first.id;
  await load(first.id);
}

$('#session').addEventListener('change', () => void load($('#session').value));
$('#step').addEventListener('input', () => go(Number($('#step').value)));
$('#first').addEventListener('click', () => go(0));
$('#prev').addEventListener('click', () => go(state.step - 1));
$('#next').addEventListener('click', () => go(state.step + 1));
$('#last').addEventListener('click', () => go(state.transitions.length));
$('#follow').addEventListener('change', () => $('#follow').checked && go(state.transitions.length));
$('#ended').addEventListener('change', () => void render());
for (const f of ['#record-type', '#record-text']) $(f).addEventListener('input', renderRecords);
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
  if (e.key === 'ArrowLeft') go(state.step - 1);
  if (e.key === 'ArrowRight') go(state.step + 1);
});
start().catch((error) => setConnection(false, `could not start: ${error.message}`));
