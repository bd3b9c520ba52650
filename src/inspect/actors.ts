import { z } from 'zod';
import { isMachineName, type MachineName } from './charts.js';

/** A persisted xstate snapshot as stored (only what the inspector reads; the rest passes). */
interface PersistedActor {
  status?: string | undefined;
  value?: unknown;
  children?: Record<string, { snapshot?: PersistedActor | undefined; src?: unknown }> | undefined;
}
const PersistedActor: z.ZodType<PersistedActor> = z.lazy(() =>
  z.looseObject({
    status: z.string().optional(),
    value: z.unknown().optional(),
    children: z.record(z.string(), z.looseObject({ snapshot: PersistedActor.optional(), src: z.unknown().optional() })).optional(),
  }),
);

/** One actor of a session: its place in the tree, what it runs, its status and (for machines) its state. */
export interface ActorNode {
  /** Actor ids from the root, `session/implementer/recovery`: unique within a session. */
  path: string;
  id: string;
  /** The `src` name its parent started it with (`worker`, `agentProcess`, ...); `session` for the root. */
  src: string;
  /** Which of orchestrate's statecharts it runs, when it runs one (process and promise actors do not). */
  machine?: MachineName | undefined;
  status: string;
  value?: unknown;
  children: ActorNode[];
}

export type ActorTreeError = { kind: 'bad_snapshot'; message: string };

function toNode(path: string, id: string, src: string, snap: PersistedActor | undefined): ActorNode {
  const machine = isMachineName(src) ? src : undefined;
  const children = Object.entries(snap?.children ?? {}).map(([childId, c]) => toNode(`${path}/${childId}`, childId, typeof c.src === 'string' ? c.src : 'inline', c.snapshot));
  return { path, id, src, machine, status: snap?.status ?? 'unknown', ...(machine ? { value: snap?.value } : {}), children };
}

/** The actor tree of a session from its persisted snapshot (the stored one, or a live actor's). */
export function actorTree(snapshot: unknown): ActorNode | ActorTreeError {
  const parsed = PersistedActor.safeParse(snapshot);
  if (!parsed.success) return { kind: 'bad_snapshot', message: `the stored snapshot is not an xstate snapshot: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'snapshot'}: ${i.message}`).join('; ')}` };
  return toNode('session', 'session', 'session', parsed.data);
}

/** Every actor of the tree that runs a statechart, root first. */
export function machineActors(root: ActorNode): (ActorNode & { machine: MachineName })[] {
  const out: (ActorNode & { machine: MachineName })[] = [];
  const walk = (n: ActorNode): void => {
    if (n.machine) out.push({ ...n, machine: n.machine });
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}
