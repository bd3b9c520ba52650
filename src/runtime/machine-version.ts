import { createHash } from 'node:crypto';
import { recoveryMachine } from '../machines/recovery.js';
import { reviewMachine } from '../machines/review.js';
import { sessionMachine } from '../machines/session.js';
import { workerMachine } from '../machines/worker.js';

/**
 * A snapshot can only be restored by the very statecharts that wrote it: the version is a
 * hash of all four machine definitions, so any change to states or transitions refuses old
 * snapshots with a clear message instead of restoring them half-way.
 */
export const MACHINE_VERSION = createHash('sha256')
  .update(JSON.stringify([sessionMachine.definition, workerMachine.definition, reviewMachine.definition, recoveryMachine.definition]))
  .digest('hex')
  .slice(0, 16);
