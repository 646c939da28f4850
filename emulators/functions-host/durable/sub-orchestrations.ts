// Sub-orchestrations: a child is an instance of its own whose row names its parent and the
// task it answers. It is created when the parent's episode schedules it (or, after a crash,
// when the parent's history says it is missing); when it ends, its outcome goes to the
// parent as a message, held in memory only (the parent asks again after a crash).
import type { FunctionRegistry } from '../core-api.js';
import { parentNotice } from './episode.js';
import { isOrchestrator, newExecutionId, type InstanceClient } from './instance-client.js';
import {
  EventType,
  isoNow,
  newInstanceRecord,
  newMessageId,
  terminalStatuses,
  type InboxMessage,
  type InstanceRecord,
} from './model.js';
import type { LiveInstance, ScheduledTask } from './replay-state.js';

export interface SubOrchestrationsOptions {
  registry: FunctionRegistry;
  client: InstanceClient;
  /** Queues a result for an instance (in memory) and wakes it. */
  deliver(message: InboxMessage): Promise<void>;
}

export class SubOrchestrations {
  readonly #options: SubOrchestrationsOptions;

  constructor(options: SubOrchestrationsOptions) {
    this.#options = options;
  }

  /** After a reload: creates the child the parent still waits for, or tells the parent a finished child's outcome. */
  async ensure(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const child = await this.#options.client.getInstance(task.childInstanceId!);
    if (!child || child.parentInstanceId !== parent.record.instanceId || child.parentTaskId !== taskId)
      await this.start(parent, taskId, task);
    else if (terminalStatuses.has(child.runtimeStatus)) await this.notifyParent(child);
  }

  /** Creates the child a parent's episode scheduled; an unknown orchestrator fails the parent's task. */
  async start(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const { instanceId, executionId } = parent.record;
    const fn = this.#options.registry.byName(task.name ?? '');
    if (!isOrchestrator(fn)) {
      const Reason = `The function '${task.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      return this.#options.deliver({
        id: newMessageId(),
        instanceId,
        executionId,
        event: {
          EventType: EventType.SubOrchestrationInstanceFailed,
          Timestamp: isoNow(),
          TaskScheduledId: taskId,
          Reason,
          Details: '',
        },
      });
    }
    const record = newInstanceRecord(
      task.childInstanceId!,
      fn.metadata.name,
      task.input ?? null,
      { instanceId, executionId, taskId },
      isoNow(),
      newExecutionId(),
    );
    await this.#options.client.createChild(record);
  }

  /** A child ended: its outcome goes to the parent's task (nothing for a top-level instance). */
  async notifyParent(child: InstanceRecord): Promise<void> {
    if (!child.parentInstanceId || child.parentTaskId === null) return;
    await this.#options.deliver({
      id: `${newMessageId()}-child`,
      instanceId: child.parentInstanceId,
      executionId: child.parentExecutionId,
      event: parentNotice(child, child.parentTaskId, isoNow()),
    });
  }
}
