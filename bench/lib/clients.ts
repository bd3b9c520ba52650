import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ClientResult, ClientsMessage, ClientsStart } from '../clients.js';
import type { Spread } from './stats.js';
import { BUILD } from './paths.js';

/** Lines written this long after the first one are past the start (JIT warm-up, first allocations): the latency scenario's steady state. */
export const WARM_UP_MS = 1000;

export interface Clients {
  /** Resolves when every client got the marker entry; rejects on a client failure or timeout. */
  done: Promise<{ clients: ClientResult[]; latency: Spread; warm: Spread; cold: Spread; cpuMs: number }>;
  stop(): void;
}

/** Starts `count` WebSocket clients on one session's stream in their own process; resolves once all are connected. */
export async function connectClients(url: string, token: string, count: number, timeoutMs: number): Promise<Clients> {
  const child: ChildProcess = fork(join(BUILD, 'clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: ClientsMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: ClientsMessage) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const next = (want: ClientsMessage['type'], ms: number): Promise<ClientsMessage> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench clients: no "${want}" within ${ms} ms`)), ms);
      const check = (): void => {
        const found = messages.find((m) => m.type === want || m.type === 'failed');
        if (!found) return void waiters.push(check);
        clearTimeout(timer);
        if (found.type === 'failed') reject(new Error(`bench clients: ${found.message}`));
        else resolve(found);
      };
      check();
    });
  child.send({ type: 'start', url, token, clients: count } satisfies ClientsStart);
  await next('ready', 10_000);
  const done = next('done', timeoutMs).then((m) => {
    if (m.type !== 'done') throw new Error('bench clients: unexpected message');
    return { clients: m.clients, latency: m.latency, warm: m.warm, cold: m.cold, cpuMs: m.cpuMs };
  });
  // Observed by the caller; this only keeps a failure from being reported as unhandled before then.
  done.catch(() => undefined);
  return { done, stop: () => void child.kill() };
}
