import type { Writable } from 'node:stream';
import { mockClientSetup } from '../mock-provider/clients.js';
import { DIALECTS } from '../mock-provider/dialects.js';
import { isScriptError, loadScript } from '../mock-provider/script.js';
import { startMockProvider } from '../mock-provider/server.js';

export interface MockProviderCliOptions {
  port: number;
  script: string;
  log?: string;
}

/** How to point each CLI at the server by hand, printed at start so the server is usable alone. */
export function clientHints(url: string): string {
  const lines = [`mock model provider listening on ${url}`, 'point the CLIs at it (keys are placeholders; nothing leaves this machine):'];
  for (const cli of ['claude', 'codex', 'gemini'] as const) {
    const setup = mockClientSetup(cli, url);
    const env = Object.entries(setup.env).map(([k, v]) => `${k}=${v}`).join(' ');
    const args = setup.args.map((a) => `'${a}'`).join(' ');
    lines.push(`  ${cli}: ${env}${args ? ` ${cli === 'codex' ? 'codex exec ' : ''}${args}` : ''}`);
  }
  lines.push('  gemini also needs security.auth.selectedType="gemini-api-key" in ~/.gemini/settings.json and --skip-trust.');
  return lines.join('\n');
}

/** `orchestrate mock-provider`: serve a script until SIGINT/SIGTERM. */
export async function runMockProvider(options: MockProviderCliOptions, out: Writable, err: Writable, signal: AbortSignal): Promise<number> {
  const script = loadScript(options.script);
  if (isScriptError(script)) {
    err.write(`orchestrate mock-provider: ${script.message}\n`);
    return 2;
  }
  let provider;
  try {
    provider = await startMockProvider({ script, dialects: DIALECTS, port: options.port, ...(options.log ? { requestLog: options.log } : {}) });
  } catch (error) {
    err.write(`orchestrate mock-provider: cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}\n`);
    return 1;
  }
  out.write(`${clientHints(provider.url)}\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await provider.close();
  return 0;
}
