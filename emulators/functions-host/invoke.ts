// One invocation, exactly as the worker's InvocationHandler drives it:
// getInvocationModel → getArguments → preInvocation hooks → invokeFunction →
// postInvocation hooks → getResponse. Going through the library's own programming model
// is what makes HttpRequest, extraInputs, hooks and df.getClient behave as on Azure.
import { randomUUID } from 'node:crypto';
import type {
  FunctionRegistry,
  HookCallback,
  RegisteredFunction,
  RpcInvocationResponse,
  RpcTypedData,
} from './core-api.js';
import type { HostLog } from './log.js';
import { objectProperties, type BindingData } from './bindings/expressions.js';
import type { StorageBindings } from './bindings/storage.js';

/** Set by the host after loading the app: refused functions and the storage bindings. */
export interface InvocationServices {
  /** Function id → why this host cannot serve it. */
  refusals: Map<string, string>;
  storage: StorageBindings;
}

const STORAGE_BINDINGS = new Set(['blob', 'table', 'queue']);

export interface InvocationInput {
  /** Binding name → data; the trigger's binding and any extra inputs. */
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Orchestrator replays are logged at debug level only, as the real host does. */
  isReplay?: boolean;
  /** Log the reason text on failure, not the whole stack (orchestrator failures carry state). */
  quietFailure?: boolean;
  /** Given when something else (the HTTP stream proxy) must know the id in advance. */
  invocationId?: string;
}

export type InvocationOutcome =
  | { ok: true; response: RpcInvocationResponse; invocationId: string }
  | { ok: false; error: Error; invocationId: string };

async function runHooks(hooks: HookCallback[], context: Record<string, unknown>): Promise<void> {
  for (const hook of [...hooks]) await hook(context);
}

export class Invoker {
  readonly #appHookData: Record<string, unknown> = {};
  readonly #usesStorage = new Map<string, boolean>();
  services: InvocationServices | undefined;
  constructor(
    readonly registry: FunctionRegistry,
    readonly log: HostLog,
  ) {}

  get appHookData(): Record<string, unknown> {
    return this.#appHookData;
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const invocationId = input.invocationId ?? randomUUID();
    const name = fn.metadata.name;
    const refused = this.services?.refusals.get(fn.id);
    if (refused) {
      this.log.error(`Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=0ms)\n  ${refused}`);
      return { ok: false, error: new Error(refused), invocationId };
    }
    const started = performance.now();
    this.log.execution(
      `Executing 'Functions.${name}' (Reason='${reasonFor(fn)}', Id=${invocationId})`,
      input.isReplay,
    );
    try {
      const response = await this.#run(fn, invocationId, input);
      this.log.execution(
        `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Math.round(performance.now() - started)}ms)`,
        input.isReplay,
      );
      return { ok: true, response, invocationId };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const shown = input.quietFailure
        ? error.message.split('$OutOfProcData$')[0].trim()
        : (error.stack ?? error.message);
      this.log.error(
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Math.round(performance.now() - started)}ms)\n  ${shown}`,
      );
      return { ok: false, error, invocationId };
    }
  }

  async #run(
    fn: RegisteredFunction,
    invocationId: string,
    input: InvocationInput,
  ): Promise<RpcInvocationResponse> {
    const model = this.registry.programmingModel;
    if (!model)
      throw new Error(
        'The app registered no programming model: is @azure/functions v4 installed in the app?',
      );
    const coreCtx = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.id,
        inputData: input.inputData,
        triggerMetadata: input.triggerMetadata ?? {},
      },
      metadata: { name: fn.metadata.name, bindings: fn.metadata.bindings },
      state: undefined as 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined,
      log: (level: string, category: string, message: string) =>
        this.log.fromFunction(fn.metadata.name, level, category, message, input.isReplay),
    };
    const storage = this.#storageFor(fn);
    const bindingData = storage ? bindingDataOf(fn, input) : undefined;
    if (storage)
      coreCtx.request.inputData = [...input.inputData, ...(await storage.inputs(fn, bindingData!))];
    const invocationModel = model.getInvocationModel(coreCtx);
    const { context, inputs: initialInputs } = await invocationModel.getArguments();
    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: this.#appHookData,
      invocationContext: context,
      inputs: initialInputs,
      functionCallback: fn.callback,
    };
    coreCtx.state = 'preInvocationHooks';
    await runHooks(this.registry.hooks.preInvocation, pre);
    coreCtx.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (thrown) {
      error = thrown;
    }
    const post = {
      hookData,
      appHookData: this.#appHookData,
      invocationContext: context,
      inputs: pre.inputs,
      result,
      error,
    };
    coreCtx.state = 'postInvocationHooks';
    await runHooks(this.registry.hooks.postInvocation, post);
    if (post.error !== undefined && post.error !== null) throw post.error;
    const response = await invocationModel.getResponse(context, post.result);
    if (storage) await storage.writeOutputs(fn, response, bindingData!);
    return response;
  }

  /** The storage bindings, when the function has any (most have none: skip the work). */
  #storageFor(fn: RegisteredFunction): StorageBindings | undefined {
    let uses = this.#usesStorage.get(fn.id);
    if (uses === undefined) {
      uses = Object.values(fn.metadata.bindings).some((b) => STORAGE_BINDINGS.has(String(b.type)));
      this.#usesStorage.set(fn.id, uses);
    }
    return uses ? this.services?.storage : undefined;
  }
}

/** What binding expressions can name: the trigger payload's properties and its metadata. */
export function bindingDataOf(fn: RegisteredFunction, input: InvocationInput): BindingData {
  const data: BindingData = {};
  const trigger = triggerBinding(fn);
  const payload = input.inputData.find((d) => d.name === trigger?.name)?.data;
  if (payload?.http) {
    const bytes = payload.http.body?.bytes;
    // A view, not a copy: the body may be large.
    const body = bytes
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : payload.http.body?.string;
    // A JSON body's properties can be named in binding paths; a large body is not parsed for that.
    if (body !== undefined && body !== null && body.length <= 1024 * 1024)
      Object.assign(data, objectProperties(body));
    for (const [key, value] of Object.entries(payload.http.nullableQuery ?? {})) data[key] = value?.value;
    for (const [key, value] of Object.entries(payload.http.nullableParams ?? {})) data[key] = value?.value;
  } else if (payload) {
    Object.assign(data, objectProperties(payload.json ?? payload.string ?? undefined));
  }
  for (const [key, value] of Object.entries(input.triggerMetadata ?? {})) {
    if (key === 'Headers' || key === 'Query') continue;
    data[key] = value.string ?? (value.json ? JSON.parse(value.json) : undefined);
  }
  return data;
}

function reasonFor(fn: RegisteredFunction): string {
  const trigger = Object.values(fn.metadata.bindings).find((b) => String(b.type ?? '').endsWith('Trigger'));
  switch (trigger?.type) {
    case 'httpTrigger':
      return 'This function was programmatically called via the host APIs.';
    case 'orchestrationTrigger':
      return '(null)';
    case 'activityTrigger':
      return '(null)';
    default:
      return 'New trigger';
  }
}

/** The trigger binding's name and type, read from the registered metadata; undefined for no function (an unknown name). */
export function triggerBinding(
  fn: RegisteredFunction | undefined,
): { name: string; type: string; options: Record<string, unknown> } | undefined {
  if (!fn) return undefined;
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    const type = String(binding.type ?? '');
    if (binding.direction === 'in' && type.toLowerCase().endsWith('trigger'))
      return { name, type, options: binding };
  }
  return undefined;
}

/** Converts a non-HTTP return value back to a JS value (the worker's RpcTypedData shapes). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.bytes) return Buffer.from(data.bytes);
  return undefined;
}
