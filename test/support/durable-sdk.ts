// The durable-functions SDK's own replay executor, for the suites that replay histories in
// process (the orchestrator tests' virtual clock, the host's stored-history oracle, the episode
// step's tests). The SDK's public surface has no way to run one replay: df.app.orchestration
// hands the wrapped orchestrator (createOrchestrator → new Orchestrator(fn).listen()) only to
// the Functions worker's registration. So this reaches the class behind it by its file path,
// which is not a public API: package.json pins durable-functions exactly, and the check below
// stops every such suite with this explanation if another version is installed, so an upgrade
// re-checks the path and the listen() contract instead of failing somewhere in a replay.
import type { OrchestratorState } from '../../emulators/functions-host/durable/actions.js';

const PINNED = '3.5.0';
const installed = (require('durable-functions/package.json') as { version: string }).version;
if (installed !== PINNED) {
  throw new Error(
    `test/support/durable-sdk.ts reaches durable-functions' private Orchestrator at ${PINNED}, but ${installed} is installed: check lib/src/orchestrations/Orchestrator still exists with listen(), then update PINNED.`,
  );
}

/** durable-functions' replay executor: `new Orchestrator(fn).listen()` is the orchestration trigger's handler. */
export const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator') as {
  Orchestrator: new (fn: unknown) => {
    listen(): (trigger: unknown, context: unknown) => Promise<OrchestratorState>;
  };
};
