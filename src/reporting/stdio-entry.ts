// A bare entry for the reporting server, so tests can run the built server without the CLI.
import { runReportingServer } from './mcp-server.js';

await runReportingServer();
