import type { CliName } from './engine.js';

/** A key the CLIs send and the mock ignores; real keys are never needed or read. */
export const MOCK_API_KEY = 'mock-key-not-secret';

export interface ClientSetup {
  env: Record<string, string>;
  args: string[];
}

/**
 * What each real CLI needs to talk to the mock provider at `url` and to stay off the network
 * (agent-cli-facts.md §1.2, §2.2, §3.2). Gemini's auth type comes from its settings file,
 * which the Gemini adapter writes into an orchestrator-owned HOME when the base URL is set.
 */
export function mockClientSetup(cli: CliName, url: string): ClientSetup {
  switch (cli) {
    case 'claude':
      return {
        env: {
          ANTHROPIC_BASE_URL: url,
          ANTHROPIC_API_KEY: MOCK_API_KEY,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
          // A scripted 500/401 should fail in seconds, not after ten backoffs (~2.5 min).
          CLAUDE_CODE_MAX_RETRIES: '1',
        },
        args: [],
      };
    case 'codex':
      return {
        env: { MOCK_API_KEY },
        args: [
          '-c', 'model_provider="mock"',
          '-c', 'model_providers.mock.name="Mock"',
          '-c', `model_providers.mock.base_url="${url}/v1"`,
          '-c', 'model_providers.mock.env_key="MOCK_API_KEY"',
          '-c', 'model_providers.mock.wire_api="responses"',
          '-c', 'model_providers.mock.request_max_retries=0',
          '-c', 'model_providers.mock.stream_max_retries=0',
          '-c', 'analytics.enabled=false',
          '-c', 'check_for_update_on_startup=false',
        ],
      };
    case 'gemini':
      return {
        env: { GEMINI_API_KEY: MOCK_API_KEY, GOOGLE_GEMINI_BASE_URL: url, GEMINI_CLI_NO_RELAUNCH: 'true' },
        args: [],
      };
  }
}

/** Settings for a throw-away Gemini HOME (`$HOME/.gemini/settings.json`) when Gemini runs outside the orchestrator. */
export const GEMINI_MOCK_SETTINGS = {
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: 2 },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  security: { auth: { selectedType: 'gemini-api-key' } },
};
