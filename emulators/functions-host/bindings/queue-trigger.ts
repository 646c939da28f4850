// Queue triggers, polled as the Functions queue extension does: up to `batchSize` messages
// at a time (16), each run once; on success the message is deleted, on failure it becomes
// visible again after `visibilityTimeout` (0) until it has been dequeued `maxDequeueCount`
// times (5), then it moves to '<queue>-poison'. An empty queue is polled less and less
// often, up to `maxPollingInterval` (host.json; this host's default is 1 s, not 1 min, so
// local runs react quickly). Messages are base64 unless host.json says messageEncoding none;
// a message that is not base64 is delivered as its raw text.
import type { QueueClient } from '@azure/storage-queue';
import type { RegisteredFunction, RpcTypedData } from '../core-api.js';
import { triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import { resolveSettings } from './expressions.js';
import type { StorageBindings } from './storage.js';

export interface QueueSettings {
  batchSize: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  batchSize: 16,
  maxDequeueCount: 5,
  visibilityTimeoutMs: 0,
  maxPollingIntervalMs: 1000,
  messageEncoding: 'base64',
};

function decode(text: string, encoding: QueueSettings['messageEncoding']): string {
  if (encoding === 'none') return text;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '')
    ? bytes.toString('utf8')
    : text;
}

export class QueueTriggers {
  #stopped = false;
  readonly #sleeping = new Set<() => void>();

  constructor(
    private readonly functions: RegisteredFunction[],
    private readonly invoker: Invoker,
    private readonly log: HostLog,
    private readonly storage: StorageBindings,
    private readonly settings: QueueSettings,
  ) {}

  start(): void {
    for (const fn of this.functions) {
      void this.#poll(fn).catch((error: unknown) =>
        this.log.error(
          `Queue trigger '${fn.metadata.name}' stopped: ${(error as Error).stack ?? String(error)}`,
        ),
      );
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const wake of this.#sleeping) wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleeping.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleeping.add(done);
    });
  }

  async #poll(fn: RegisteredFunction): Promise<void> {
    const trigger = triggerBinding(fn)!;
    const queueName = resolveSettings(String(trigger.options.queueName ?? '')).toLowerCase();
    const account = this.storage.account(trigger.options.connection);
    const queue = account.queues().getQueueClient(queueName);
    let idle = 50;
    while (!this.#stopped) {
      let messages;
      try {
        await queue.createIfNotExists();
        messages = (
          await queue.receiveMessages({ numberOfMessages: this.settings.batchSize, visibilityTimeout: 600 })
        ).receivedMessageItems;
      } catch (error) {
        this.log.error(
          `Queue trigger '${fn.metadata.name}' could not read queue '${queueName}': ${(error as Error).message}`,
        );
        await this.#sleep(this.settings.maxPollingIntervalMs);
        continue;
      }
      if (messages.length === 0) {
        await this.#sleep(idle);
        idle = Math.min(idle * 2, this.settings.maxPollingIntervalMs);
        continue;
      }
      idle = 50;
      await Promise.all(messages.map((message) => this.#handle(fn, trigger.name, queue, queueName, message)));
    }
  }

  async #handle(
    fn: RegisteredFunction,
    triggerName: string,
    queue: QueueClient,
    queueName: string,
    message: {
      messageId: string;
      popReceipt: string;
      messageText: string;
      dequeueCount: number;
      insertedOn: Date;
      expiresOn: Date;
      nextVisibleOn: Date;
    },
  ): Promise<void> {
    const text = decode(message.messageText, this.settings.messageEncoding);
    const metadata: Record<string, RpcTypedData> = {
      Id: { string: message.messageId },
      DequeueCount: { json: String(message.dequeueCount) },
      InsertionTime: { string: message.insertedOn.toISOString() },
      ExpirationTime: { string: message.expiresOn.toISOString() },
      NextVisibleTime: { string: message.nextVisibleOn.toISOString() },
      PopReceipt: { string: message.popReceipt },
      QueueTrigger: { string: text },
    };
    const outcome = await this.invoker.invoke(fn, {
      inputData: [{ name: triggerName, data: { string: text } }],
      triggerMetadata: metadata,
    });
    try {
      if (outcome.ok) {
        await queue.deleteMessage(message.messageId, message.popReceipt);
      } else if (message.dequeueCount >= this.settings.maxDequeueCount) {
        const poison = queue.name.endsWith('-poison')
          ? undefined
          : this.storage.account(triggerBindingConnection(fn)).queues().getQueueClient(`${queueName}-poison`);
        if (poison) {
          await poison.createIfNotExists();
          await poison.sendMessage(message.messageText);
        }
        await queue.deleteMessage(message.messageId, message.popReceipt);
        this.log.error(
          `Message '${message.messageId}' failed ${message.dequeueCount} times in '${fn.metadata.name}'; moved to queue '${queueName}-poison'.`,
        );
      } else {
        await queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.round(this.settings.visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      this.log.error(
        `Queue trigger '${fn.metadata.name}': settling message '${message.messageId}' failed: ${(error as Error).message}`,
      );
    }
  }
}

function triggerBindingConnection(fn: RegisteredFunction): unknown {
  return triggerBinding(fn)?.options.connection;
}
