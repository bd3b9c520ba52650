import { fromCallback } from 'xstate';
import type { ResourceMonitorEvent, ResourceMonitorInput } from '../machines/events.js';
import { groupUsage } from './process-group-usage.js';

/**
 * Samples the agent's whole process group every `intervalMs` and reports the first limit
 * crossed: CPU % averaged over a sliding window (agents legitimately burst while compiling),
 * RSS, and runtime since launch. The worker decides what to do (stop it).
 */
export const resourceMonitor = fromCallback<{ type: string }, ResourceMonitorInput, ResourceMonitorEvent>(({ input, sendBack }) => {
  if (input.pid === undefined || !input.limits) return undefined;
  const { pid, limits } = input;
  const interval = input.intervalMs ?? 1000;
  const windowMs = (limits.cpuWindowSeconds ?? 60) * 1000;
  const started = Date.now();
  const samples: { at: number; cpu: number }[] = [];
  let reported = false;
  const report = (limit: 'cpu' | 'memory' | 'runtime', detail: string): void => {
    if (reported) return;
    reported = true;
    sendBack({ type: 'worker.limitExceeded', limit, detail });
  };
  const timer = setInterval(() => {
    const now = Date.now();
    const usage = groupUsage(pid);
    if (now - started > limits.runtimeMinutes * 60_000) report('runtime', `ran ${Math.round((now - started) / 60_000)} min > ${limits.runtimeMinutes} min`);
    if (!usage || usage.processes === 0) return;
    if (usage.rssBytes > limits.memoryMb * 1024 * 1024) {
      report('memory', `${Math.round(usage.rssBytes / 1024 / 1024)} MB resident > ${limits.memoryMb} MB (${usage.processes} processes)`);
    }
    samples.push({ at: now, cpu: usage.cpuSeconds });
    while (samples.length > 2 && (samples[0]?.at ?? now) < now - windowMs) samples.shift();
    const first = samples[0];
    // Judge CPU only over a full window, so a short burst is not a violation.
    if (first && now - first.at >= windowMs - interval / 2) {
      const percent = ((usage.cpuSeconds - first.cpu) / ((now - first.at) / 1000)) * 100;
      if (percent > limits.cpuPercent) report('cpu', `${Math.round(percent)}% CPU over ${Math.round((now - first.at) / 1000)} s > ${limits.cpuPercent}%`);
    }
  }, interval);
  return () => clearInterval(timer);
});
