import type { InspectionEvent } from 'xstate';
import { isMachineName, type MachineName } from './charts.js';
import { redact, type RedactMode } from './redact.js';

/**
 * One inspection record, as streamed and logged to inspect.jsonl: an actor was created, an
 * event was sent to it, it took transitions, or its state or status changed. Contexts are
 * never included (they hold prompts and the launch environment); events are redacted.
 */
export interface InspectRecord {
  n: number;
  at: string;
  type: 'inspect.actor' | 'inspect.event' | 'inspect.transition' | 'inspect.snapshot';
  /** Actor ids from the root: `session/implementer/recovery`. */
  actor: string;
  src?: string | undefined;
  machine?: MachineName | undefined;
  /** Who sent the event (inspect.event), when another actor did. */
  source?: string | undefined;
  event?: unknown;
  /** inspect.transition: the transitions taken, as `source state id → target state ids`. */
  transitions?: { source: string; targets: string[] }[] | undefined;
  status?: string | undefined;
  value?: unknown;
}

/** A change of one actor's state or status: what the event log keeps for time travel. */
export interface ActorChange {
  actor: string;
  src: string;
  machine?: MachineName | undefined;
  /** Undefined the first time the actor is seen (created, or restored after a resume). */
  from?: { status: string; value?: unknown } | undefined;
  to: { status: string; value?: unknown };
  event: string;
}

type RefLike = { sessionId: string; id?: string; src?: unknown; _parent?: { sessionId: string } };
type Listener = (r: InspectRecord) => void;

/** Keeps the last records so that a client connecting late sees what just happened. */
const RECENT = 1000;

/**
 * Turns xstate's inspection events into records: streamed to subscribers (the inspector
 * WebSocket, inspect.jsonl) only while someone listens, and every change of an actor's state
 * or status reported to `onChange` always (cheap: a comparison per snapshot).
 */
export class Inspector {
  private readonly paths = new Map<string, { path: string; src: string }>();
  private readonly last = new Map<string, string>();
  private readonly listeners = new Set<Listener>();
  private readonly recent: InspectRecord[] = [];
  private n = 0;

  constructor(private readonly onChange: (c: ActorChange) => void = () => undefined) {}

  /**
   * Records after `since` (from the recent ones kept), then live ones. Events are redacted for
   * each subscriber as it asked; secrets never leave either way.
   */
  subscribe(listener: Listener, options: { since?: number; mode?: RedactMode } = {}): () => void {
    const mode = options.mode ?? 'redacted';
    const deliver: Listener = (r) => listener(r.event === undefined ? r : { ...r, event: redact(r.event, mode) });
    for (const r of this.recent) if (r.n > (options.since ?? 0)) deliver(r);
    this.listeners.add(deliver);
    return () => this.listeners.delete(deliver);
  }

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  private actorOf(ref: RefLike): { path: string; src: string } {
    const known = this.paths.get(ref.sessionId);
    if (known) return known;
    const parent = ref._parent ? this.paths.get(ref._parent.sessionId) : undefined;
    const src = typeof ref.src === 'string' ? ref.src : parent ? 'inline' : 'session';
    const entry = { path: parent ? `${parent.path}/${ref.id ?? ref.sessionId}` : 'session', src };
    this.paths.set(ref.sessionId, entry);
    return entry;
  }

  private emit(r: Omit<InspectRecord, 'n' | 'at'>): void {
    if (this.listeners.size === 0) return;
    const record: InspectRecord = { n: ++this.n, at: new Date().toISOString(), ...r };
    this.recent.push(record);
    if (this.recent.length > RECENT) this.recent.splice(0, this.recent.length - RECENT);
    for (const l of this.listeners) l(record);
  }

  inspect(ev: InspectionEvent): void {
    const { path, src } = this.actorOf(ev.actorRef);
    const machine = isMachineName(src) ? src : undefined;
    switch (ev.type) {
      case '@xstate.actor':
        // A new actor may reuse a path (a relaunch's monitor): it starts from "created".
        this.last.delete(path);
        this.emit({ type: 'inspect.actor', actor: path, src, machine });
        return;
      case '@xstate.event':
        if (!this.listening) return;
        this.emit({ type: 'inspect.event', actor: path, source: ev.sourceRef ? this.actorOf(ev.sourceRef).path : undefined, event: ev.event });
        return;
      case '@xstate.microstep':
        // Every absorbed agent event is a microstep: build nothing unless someone listens.
        if (!this.listening) return;
        this.emit({ type: 'inspect.transition', actor: path, machine, event: { type: ev.event.type }, transitions: ev._transitions.map((t) => ({ source: t.source.id, targets: (t.target ?? []).map((s) => s.id) })) });
        return;
      case '@xstate.snapshot': {
        const snap = ev.snapshot as { status: string; value?: unknown };
        const to = machine ? { status: snap.status, value: snap.value } : { status: snap.status };
        const key = JSON.stringify(to);
        const before = this.last.get(path);
        if (before === key) return;
        this.last.set(path, key);
        if (snap.status !== 'active') this.paths.delete(ev.actorRef.sessionId);
        this.onChange({ actor: path, src, machine, from: before === undefined ? undefined : (JSON.parse(before) as ActorChange['to']), to, event: ev.event.type });
        this.emit({ type: 'inspect.snapshot', actor: path, machine, event: { type: ev.event.type }, ...to });
        return;
      }
      default:
    }
  }
}

const stateText = (s: { status: string; value?: unknown } | undefined): string =>
  s === undefined ? 'created' : s.status !== 'active' ? s.status : typeof s.value === 'string' ? s.value : s.value === undefined ? 'active' : JSON.stringify(s.value);

/** The event-log entry for a change (`machine.transition`): the history the inspector page steps through. */
export function changeEntry(c: ActorChange): Record<string, unknown> & { text: string } {
  return { text: `${c.actor}: ${stateText(c.from)} → ${stateText(c.to)} (${c.event})`, actor: c.actor, src: c.src, ...(c.machine ? { machine: c.machine } : {}), ...(c.from ? { from: c.from } : {}), to: c.to, event: c.event };
}
