// The dashboard: the summary from the REST API, refreshed when the live stream says something
// happened; the event log and the plot from the stream itself. The access token is in an
// HttpOnly cookie (set when the printed URL was opened), so plain same-origin requests carry it.
import { ActivityPlot } from './plot.js';
import { eventLine, renderChart, renderConfirmations, renderInbox, renderRecoveries, renderReviews, renderWorkers } from './render.js';

const $ = (sel) => document.querySelector(sel);
const MAX_EVENTS = 5000;
const SHOWN_EVENTS = 500;

const state = { sessionId: undefined, lastSeq: 0, events: [], agents: new Set(), types: new Set(), socket: undefined, retry: 0, summaryTimer: undefined };
const plot = new ActivityPlot($('#plot'));

async function api(path, init) {
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message ?? `${res.status} ${res.statusText}`);
  return body;
}

function setConnection(up, text) {
  const node = $('#connection');
  node.className = `conn ${up ? 'up' : 'down'}`;
  node.textContent = text;
}

async function refreshSummary() {
  state.summaryTimer = undefined;
  if (!state.sessionId) return;
  try {
    const s = await api(`/api/sessions/${encodeURIComponent(state.sessionId)}/summary`);
    $('#state').textContent = s.session.state;
    const option = [...$('#session').options].find((o) => o.value === state.sessionId);
    if (option) option.textContent = `${s.session.id} · ${s.session.status}${s.session.live ? ' · live' : ''}`;
    $('#task').textContent = `${s.session.task} — tier ${s.session.tier}${s.session.tasksTotal ? ` · tasks ${s.session.tasksDone}/${s.session.tasksTotal}` : ''}${s.session.live ? '' : ' · not driven by this server (read-only)'}`;
    renderWorkers($('#workers'), s.workers);
    renderReviews($('#reviews tbody'), s.reviews);
    renderRecoveries($('#recoveries tbody'), s.recoveries);
    renderInbox($('#inbox'), s.session.waiting);
    renderConfirmations($('#confirmations'), s.confirmations ?? [], (id, approve) => void confirm(id, approve));
    renderChart($('#chart'), s.statechart.chart, s.statechart.active);
  } catch (error) {
    $('#control-result').textContent = `could not load the summary: ${error.message}`;
  }
}

/** At most one summary request per 300 ms however fast events come. */
function scheduleSummary() {
  state.summaryTimer ??= setTimeout(refreshSummary, 300);
}

function addOption(select, set, value) {
  if (set.has(value)) return;
  set.add(value);
  const option = document.createElement('option');
  option.value = value;
  option.textContent = value;
  select.append(option);
}

function matches(e) {
  const agent = $('#filter-agent').value;
  const type = $('#filter-type').value;
  const text = $('#filter-text').value.trim().toLowerCase();
  // Statechart transitions belong to the inspector page; the log shows them only when asked by type.
  if (!type && e.type === 'machine.transition') return false;
  return (!agent || e.agent === agent) && (!type || e.type === type) && (!text || JSON.stringify(e.payload).toLowerCase().includes(text) || e.workerId.includes(text));
}

let renderQueued = false;
function renderEvents() {
  renderQueued = false;
  const shown = state.events.filter(matches).slice(-SHOWN_EVENTS);
  const list = $('#events');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...shown.map(eventLine));
  if (atBottom) list.scrollTop = list.scrollHeight;
  $('#event-count').textContent = `(${shown.length} shown of ${state.lastSeq})`;
  plot.draw();
}
const queueRender = () => {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(renderEvents);
  }
};

function onEnvelope(e) {
  if (typeof e.seq !== 'number' || e.sessionId !== state.sessionId || e.seq <= state.lastSeq) return;
  state.lastSeq = e.seq;
  state.events.push(e);
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
  addOption($('#filter-agent'), state.agents, e.agent);
  addOption($('#filter-type'), state.types, e.type);
  plot.add(e);
  queueRender();
  scheduleSummary();
}

/** Connects from the last seq seen: a reconnect gets exactly what it missed. */
function connect() {
  const sessionId = state.sessionId;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/sessions/${encodeURIComponent(sessionId)}/ws?since=${state.lastSeq}&batch=1`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.onopen = () => {
    state.retry = 0;
    setConnection(true, 'live');
    scheduleSummary();
  };
  // batch=1: each frame is the array of envelopes committed in one turn (a chatty agent's
  // hundreds of lines a second arrive as a few frames, not one message each).
  socket.onmessage = (m) => {
    const data = JSON.parse(m.data);
    if (Array.isArray(data)) data.forEach(onEnvelope);
    else onEnvelope(data);
  };
  socket.onclose = (ev) => {
    if (state.socket !== socket) return;
    const wait = Math.min(10_000, 500 * 2 ** state.retry++);
    setConnection(false, `disconnected${ev.reason ? ` (${ev.reason})` : ''} — reconnecting in ${Math.round(wait / 1000)}s`);
    setTimeout(() => state.socket === socket && connect(), wait);
  };
}

function openSession(id) {
  if (state.socket) {
    const old = state.socket;
    state.socket = undefined;
    old.close();
  }
  Object.assign(state, { sessionId: id, lastSeq: 0, events: [], agents: new Set(), types: new Set() });
  $('#filter-agent').replaceChildren(new Option('all agents', ''));
  $('#filter-type').replaceChildren(new Option('all types', ''));
  plot.buckets.clear();
  plot.tokens = [];
  plot.total = 0;
  history.replaceState(null, '', `#${id}`);
  connect();
  void refreshSummary();
}

async function confirm(id, approve) {
  try {
    const body = approve ? { approve } : { approve, reason: 'rejected on the dashboard' };
    await api(`/api/sessions/${encodeURIComponent(state.sessionId)}/confirmations/${encodeURIComponent(id)}`, { method: 'POST', body: JSON.stringify(body) });
    $('#control-result').textContent = `${approve ? 'approved' : 'rejected'}: ${id}`;
  } catch (error) {
    $('#control-result').textContent = error.message;
  }
  scheduleSummary();
}

async function control(action) {
  const body = action === 'clarify' ? { text: $('#clarify-text').value } : action === 'reject' ? { reason: 'rejected on the dashboard' } : {};
  try {
    const r = await api(`/api/sessions/${encodeURIComponent(state.sessionId)}/control/${action}`, { method: 'POST', body: JSON.stringify(body) });
    $('#control-result').textContent = `${r.event} accepted`;
    if (action === 'clarify') $('#clarify-text').value = '';
  } catch (error) {
    $('#control-result').textContent = `${action}: ${error.message}`;
  }
  scheduleSummary();
}

async function start() {
  for (const b of document.querySelectorAll('[data-control]')) b.addEventListener('click', () => void control(b.dataset.control));
  for (const f of ['#filter-agent', '#filter-type', '#filter-text']) $(f).addEventListener('input', queueRender);
  $('#session').addEventListener('change', (e) => openSession(e.target.value));
  setInterval(plot.draw.bind(plot), 5000);
  let sessions = [];
  try {
    sessions = await api('/api/sessions');
  } catch (error) {
    setConnection(false, error.message);
    return;
  }
  $('#session').replaceChildren(...sessions.map((s) => new Option(`${s.id} · ${s.status}${s.live ? ' · live' : ''}`, s.id)));
  const wanted = decodeURIComponent(location.hash.slice(1));
  const pick = sessions.find((s) => s.id === wanted) ?? sessions.find((s) => s.live) ?? sessions[0];
  if (!pick) {
    setConnection(false, 'no session in the store yet');
    return;
  }
  $('#session').value = pick.id;
  openSession(pick.id);
}

void start();
