import type { Scenario } from '../lib/scenario.js';
import { latencyScenario } from './latency.js';
import { pipelineScenario } from './pipeline.js';
import { resumeScenario } from './resume.js';
import { startupScenario } from './startup.js';
import { workersScenario } from './workers.js';

/** In the order they run (and appear in the table). */
export const SCENARIOS: Record<string, Scenario> = {
  pipeline: pipelineScenario,
  latency: latencyScenario,
  resume: resumeScenario,
  workers: workersScenario,
  startup: startupScenario,
};
