// The engine's calls into the app: orchestrator episodes (the trigger input episode.ts builds,
// answered with the OrchestratorState), and activities, at most maxConcurrentActivityFunctions
// at once, each answering with the completion event its orchestration gets (TaskCompleted, or
// TaskFailed naming the activity). Durable HTTP calls are the built-in HTTP activity
// (http-calls.ts).
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from '../core-api.js';
import { fromTypedData, triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import { stateFromFailure, type OrchestratorState } from './actions.js';
import { executeHttpCall, HTTP_ACTIVITY } from './http-calls.js';
import { EventType, isoNow, type InboxMessage } from './model.js';

/** One episode: the orchestrator's answer (a thrown orchestrator's state travels in its error message). */
export async function invokeOrchestrator(
  options: { invoker: Invoker; extraInputs(fn: RegisteredFunction): { name: string; data: RpcTypedData }[] },
  fn: RegisteredFunction,
  input: Record<string, unknown>,
): Promise<OrchestratorState> {
  const outcome = await options.invoker.invoke(fn, {
    inputData: [
      { name: triggerBinding(fn)!.name, data: { string: JSON.stringify(input) } },
      ...options.extraInputs(fn),
    ],
    triggerMetadata: { instanceId: { string: String(input.instanceId) } },
    isReplay: false,
    quietFailure: true,
  });
  if (!outcome.ok) return stateFromFailure(outcome.error.message);
  const value = fromTypedData(outcome.response.returnValue);
  return (typeof value === 'string' ? JSON.parse(value) : value) as OrchestratorState;
}

export interface ActivityRunnerOptions {
  registry: FunctionRegistry;
  invoker: Invoker;
  log: HostLog;
  extraInputs(fn: RegisteredFunction): { name: string; data: RpcTypedData }[];
  maxRunning: number;
  stopped(): boolean;
  /** Called whenever an activity has settled (idle checks). */
  settled(): void;
}

export class ActivityRunner {
  readonly #options: ActivityRunnerOptions;
  readonly #queue: (() => Promise<void>)[] = [];
  #running = 0;

  constructor(options: ActivityRunnerOptions) {
    this.#options = options;
  }

  isIdle(): boolean {
    return this.#running === 0 && this.#queue.length === 0;
  }

  /** Queues one activity; `deliver` gets its completion event. */
  run(
    name: string,
    inputJson: string,
    instanceId: string,
    taskId: number,
    deliver: (event: InboxMessage['event']) => Promise<void>,
  ): void {
    this.#queue.push(async () => deliver(await this.#execute(name, inputJson, instanceId, taskId)));
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#options.maxRunning && this.#queue.length > 0 && !this.#options.stopped()) {
      const work = this.#queue.shift()!;
      this.#running++;
      work()
        .catch((error: unknown) =>
          this.#options.log.error(
            `Durable host error while running an activity: ${(error as Error).stack ?? String(error)}`,
          ),
        )
        .finally(() => {
          this.#running--;
          this.#pump();
          this.#options.settled();
        });
    }
  }

  async #execute(
    name: string,
    inputJson: string,
    instanceId: string,
    taskId: number,
  ): Promise<InboxMessage['event']> {
    if (name === HTTP_ACTIVITY) return executeHttpCall(inputJson, taskId);
    const fn = this.#options.registry.byName(name);
    const trigger = fn && triggerBinding(fn);
    const failed = (message: string, details: string) => ({
      EventType: EventType.TaskFailed,
      Timestamp: isoNow(),
      TaskScheduledId: taskId,
      Reason: `Activity function '${name}' failed: ${message}`,
      Details: details,
    });
    if (!fn || trigger?.type !== 'activityTrigger') {
      return failed(
        `The function '${name}' doesn't exist, is disabled, or is not an activity function.`,
        `instance ${instanceId}`,
      );
    }
    const outcome = await this.#options.invoker.invoke(fn, {
      inputData: [{ name: trigger.name, data: { json: inputJson } }, ...this.#options.extraInputs(fn)],
      triggerMetadata: { instanceId: { string: instanceId } },
    });
    if (!outcome.ok) return failed(outcome.error.message, outcome.error.stack ?? outcome.error.message);
    const value = fromTypedData(outcome.response.returnValue);
    const result = outcome.response.returnValue?.json ?? JSON.stringify(value === undefined ? null : value);
    return {
      EventType: EventType.TaskCompleted,
      Timestamp: isoNow(),
      TaskScheduledId: taskId,
      Result: result,
    };
  }
}
