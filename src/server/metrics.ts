import { Counter, Gauge, Registry } from 'prom-client';
import type { SessionRegistry } from './registry.js';
import type { StreamStats } from './routes-stream.js';

/**
 * Prometheus metrics, computed from the sessions' folded views when scraped (so a restarted
 * server reports the same totals as the one that watched them happen). A registry per server:
 * several servers in one process (tests) do not share counters.
 */
export function createMetrics(registry: SessionRegistry, stats: StreamStats): Registry {
  const metrics = new Registry();
  const views = () => registry.list().map((r) => registry.view(r.id));
  new Counter({
    name: 'orchestrate_events_total',
    help: 'Committed log entries by type and agent',
    labelNames: ['type', 'agent'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const v of views()) for (const c of v.counts) this.inc({ type: c.type, agent: c.agent }, c.n);
    },
  });
  new Counter({
    name: 'orchestrate_decisions_total',
    help: 'Decision policy outcomes by action',
    labelNames: ['action'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const v of views()) for (const r of v.reviews) if (r.action) this.inc({ action: r.action }, 1);
    },
  });
  new Counter({
    name: 'orchestrate_recoveries_total',
    help: 'Recovery actions by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const v of views()) for (const r of v.recoveries) this.inc({ kind: r.kind, outcome: r.outcome }, 1);
    },
  });
  new Gauge({
    name: 'orchestrate_workers',
    help: 'Workers by role and state (live and past sessions)',
    labelNames: ['role', 'state'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const v of views()) for (const w of Object.values(v.workers)) this.inc({ role: w.role, state: w.status }, 1);
    },
  });
  new Counter({
    name: 'orchestrate_tokens_total',
    help: 'Tokens reported by the agents, by agent and kind (input, output, cached)',
    labelNames: ['agent', 'kind'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const v of views()) {
        for (const [agent, u] of Object.entries(v.tokens)) {
          this.inc({ agent, kind: 'input' }, u.inputTokens);
          this.inc({ agent, kind: 'output' }, u.outputTokens);
          this.inc({ agent, kind: 'cached' }, u.cachedTokens);
        }
      }
    },
  });
  new Gauge({
    name: 'orchestrate_stream_clients',
    help: 'Connected WebSocket and SSE clients',
    registers: [metrics],
    collect() {
      this.set(stats.connected);
    },
  });
  new Counter({
    name: 'orchestrate_stream_clients_dropped_total',
    help: 'Stream clients dropped for not keeping up',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(stats.dropped);
    },
  });
  return metrics;
}
