import { z } from 'zod';
import { ADAPTER_NAMES } from '../agents/registry.js';
import { AgentName, ResourceLimits, SandboxConfig } from '../protocol/index.js';

/** The three CLIs the orchestrator knows out of the box; a user's `agents` is merged over these. */
export const DEFAULT_AGENT_NAMES = ['gemini', 'claude', 'codex'] as const;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and "_"');

/**
 * `adapter` may be left out when the agent is named after one ("claude": {"command": ...}),
 * so overriding a default agent does not mean restating it.
 */
const AgentConfigInput = z.strictObject({
  adapter: z.enum(ADAPTER_NAMES).optional(),
  command: z.string().min(1).optional().describe('binary name (looked up on PATH) or path'),
  args: z.array(z.string()).default([]).describe('extra arguments, placed before the prompt'),
  env: z.record(EnvName, z.string()).default({}).describe('extra environment; wins over adapter defaults'),
  home: z.string().min(1).optional().describe('a HOME directory owned by the orchestrator for this agent'),
});

export const AgentConfig = z.strictObject({
  ...AgentConfigInput.shape,
  adapter: z.enum(ADAPTER_NAMES),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

const WeightedPolicy = z.strictObject({
  kind: z.literal('weighted'),
  weights: z.record(AgentName, z.number().nonnegative()),
  pauseAt: z.number().positive().default(2),
  requiredApprovers: z.array(AgentName).default([]),
});

const Review = z.strictObject({
  policy: z
    .union([z.literal('four-rule'), WeightedPolicy], {
      error: 'expected "four-rule" or {"kind": "weighted", "weights": {...}}',
    })
    .default('four-rule'),
  triggers: z
    .strictObject({
      milestone: z.boolean().default(true),
      blocker: z.boolean().default(true),
      request: z.boolean().default(true),
      manual: z.boolean().default(true),
      silence: z.boolean().default(true),
    })
    .prefault({}),
  silenceMinutes: z.number().positive().default(15),
  reviewerTimeoutMinutes: z.number().positive().default(10),
  diffMaxBytes: z.number().int().positive().default(60_000),
});

const Budget = z.strictObject({
  tokens: z.number().int().positive().optional(),
  usd: z.number().positive().optional(),
});

const ConfigObject = z.strictObject({
  /** Editors put a schema reference here; it is allowed so strictness does not fight them. */
  $schema: z.string().optional(),
  roles: z
    .strictObject({
      architect: AgentName.default('gemini'),
      implementer: AgentName.default('claude'),
      reviewer: AgentName.default('codex'),
    })
    .prefault({}),
  agents: z.record(AgentName, AgentConfigInput).default({}),
  review: Review.prefault({}),
  budgets: z.strictObject({ ...Budget.shape, perAgent: z.record(AgentName, Budget).default({}) }).prefault({}),
  limits: ResourceLimits.prefault({}),
  // Limits live at the top level (one place), so the sandbox section is the rest of SandboxConfig.
  safety: SandboxConfig.omit({ limits: true })
    .extend({
      guard: z.boolean().default(true).describe('install `orchestrate guard` as the pre-tool hook of agents that have hooks (Claude Code PreToolUse, Gemini CLI BeforeTool)'),
      sandbox: z
        .enum(['auto', 'bwrap', 'off'])
        .default('auto')
        .describe('run every agent process in a bubblewrap sandbox with only the allowed roots and its HOME writable: auto = when bwrap is installed (Linux), bwrap = required'),
    })
    .prefault({}),
  recovery: z.strictObject({ maxAttempts: z.number().int().nonnegative().default(2) }).prefault({}),
  store: z
    .string()
    .regex(/^(sqlite|postgres|postgresql):\/\/./, 'a store is sqlite://PATH or postgres://USER@HOST:PORT/DB')
    .optional()
    .describe('where sessions are kept: sqlite://PATH (default: orchestrate.db in the workspace) or postgres://... (shared by several hosts); --store and ORCHESTRATE_STORE take precedence'),
});
type ConfigObject = z.output<typeof ConfigObject>;
type AgentConfigInputOut = z.output<typeof AgentConfigInput>;

/** User agents replace default agents of the same name; a missing adapter comes from the name. */
function mergeAgents(user: ConfigObject['agents']): Record<string, AgentConfigInputOut> {
  const merged: Record<string, AgentConfigInputOut> = {};
  for (const name of DEFAULT_AGENT_NAMES) merged[name] = { adapter: name, args: [], env: {} };
  return { ...merged, ...user };
}

const isAdapter = (name: string): name is AgentConfig['adapter'] => (ADAPTER_NAMES as readonly string[]).includes(name);

export const OrchestrateConfigSchema = ConfigObject.superRefine((config, ctx) => {
  const agents = mergeAgents(config.agents);
  const known = (name: string): boolean => name in agents;
  const unknown = (name: string, path: PropertyKey[], what: string): void => {
    const names = Object.keys(agents).join(', ');
    ctx.addIssue({ code: 'custom', path, message: `${what} "${name}" is not a configured agent (agents: ${names})` });
  };
  for (const [role, name] of Object.entries(config.roles)) if (!known(name)) unknown(name, ['roles', role], `${role} agent`);
  for (const [name, agent] of Object.entries(config.agents)) {
    if (agent.adapter === undefined && !isAdapter(name)) {
      const message = `agent "${name}" needs an adapter (one of ${ADAPTER_NAMES.join(', ')})`;
      ctx.addIssue({ code: 'custom', path: ['agents', name, 'adapter'], message });
    }
  }
  for (const name of Object.keys(config.budgets.perAgent)) {
    if (!known(name)) unknown(name, ['budgets', 'perAgent', name], 'budget for');
  }
  const policy = config.review.policy;
  if (policy !== 'four-rule') {
    for (const name of Object.keys(policy.weights)) {
      if (!known(name)) unknown(name, ['review', 'policy', 'weights', name], 'weight for');
    }
    policy.requiredApprovers.forEach((name, i) => {
      if (!known(name)) unknown(name, ['review', 'policy', 'requiredApprovers', i], 'required approver');
    });
  }
}).transform(({ $schema: _schema, ...config }) => {
  const agents: Record<string, AgentConfig> = {};
  for (const [name, agent] of Object.entries(mergeAgents(config.agents))) {
    // The refinement above guarantees an adapter or an adapter-named agent.
    agents[name] = { ...agent, adapter: agent.adapter ?? (name as AgentConfig['adapter']) };
  }
  return { ...config, agents };
});

export type OrchestrateConfig = z.output<typeof OrchestrateConfigSchema>;
export type OrchestrateConfigInput = z.input<typeof OrchestrateConfigSchema>;

/** The configuration used when there is no config file. */
export const defaultConfig = (): OrchestrateConfig => OrchestrateConfigSchema.parse({});

/**
 * JSON Schema of the config *file* (input side: defaulted fields are optional). Cross-field
 * rules (known agent names) cannot be expressed in JSON Schema and are checked by zod only.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigObject, { io: 'input', target: 'draft-2020-12' }),
    title: 'orchestrate.config.json',
    description: 'Configuration of orchestrate: roles, agents, review, budgets, limits, safety, recovery.',
  };
}

/** The exact text of schema/orchestrate.config.schema.json (the generator and its test share it). */
export const renderConfigJsonSchema = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
