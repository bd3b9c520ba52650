import { inspectReport, renderOne, renderReport, type InspectFormat } from '../inspect/report.js';
import { MACHINE_VERSION } from '../runtime/machine-version.js';
import { EXIT, openStore, workspaceOf, type RunIo } from './run.js';

export interface InspectOptions {
  workspace?: string;
  format: InspectFormat;
  actor?: string;
}

/** `orchestrate inspect <session>`: the statecharts with the states the stored snapshot is in. */
export function runInspect(sessionId: string, options: InspectOptions, io: RunIo): number {
  const store = openStore(workspaceOf(options, io.env), io, { mustExist: true });
  if (!store) return EXIT.failed;
  try {
    if (!store.get(sessionId)) {
      io.stderr.write(`orchestrate: no session "${sessionId}" in ${store.path} (orchestrate sessions lists them)\n`);
      return EXIT.failed;
    }
    const stored = store.loadSnapshot(sessionId);
    if (!stored) {
      io.stderr.write(`orchestrate: session ${sessionId} has no saved state yet\n`);
      return EXIT.failed;
    }
    const report = inspectReport({ sessionId, snapshot: stored.snapshot, machineVersion: stored.machineVersion, savedAt: stored.updatedAt }, MACHINE_VERSION);
    if ('kind' in report) {
      io.stderr.write(`orchestrate: ${report.message}\n`);
      return EXIT.failed;
    }
    if (!report.current) io.stderr.write(`orchestrate: the snapshot was saved by other statecharts (version ${report.machineVersion}, this orchestrate has ${MACHINE_VERSION}); drawn with today's\n`);
    if (options.actor === undefined) {
      io.stdout.write(renderReport(report, options.format));
      return EXIT.completed;
    }
    const one = report.machines.find((m) => m.path === options.actor);
    if (!one) {
      io.stderr.write(`orchestrate: no statechart actor "${options.actor}" in session ${sessionId}; it has: ${report.machines.map((m) => m.path).join(', ')}\n`);
      return EXIT.failed;
    }
    io.stdout.write(options.format === 'json' ? `${JSON.stringify({ ...one, chart: report.charts[one.machine] }, null, 2)}\n` : renderOne(one, options.format));
    return EXIT.completed;
  } finally {
    store.close();
  }
}
