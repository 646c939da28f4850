// The `@azure/functions-core` module that the real Node worker injects (worker
// src/setupCoreModule.ts). `@azure/functions` requires it lazily and registers every
// function, hook and its programming model through it, so providing it *before* the app
// loads is what lets an unchanged v4 app run here.
import Module from 'node:module';

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  nullableHeaders?: Record<string, { value?: string | null }> | null;
  nullableQuery?: Record<string, { value?: string | null }> | null;
  nullableParams?: Record<string, { value?: string | null }> | null;
  body?: RpcTypedData | null;
  statusCode?: string | null;
  cookies?: unknown[] | null;
}

export interface RpcInvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata: Record<string, RpcTypedData>;
}

export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: { name: string; data: RpcTypedData }[] | null;
  returnValue?: RpcTypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: { name: string; bindings: Record<string, RpcBindingInfo> };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';
export type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;

export class Disposable {
  static from(...disposables: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => disposables.forEach((d) => d.dispose()));
  }
  #callOnDispose: (() => unknown) | undefined;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  dispose(): unknown {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return callback?.();
  }
}

export interface RegisteredFunction {
  id: string;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** Everything the app registered, as the host reads it after loading. */
export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    preInvocation: [],
    postInvocation: [],
    appStart: [],
    appTerminate: [],
    log: [],
  };
  programmingModel: ProgrammingModel | undefined;
  /** Lines the library logged through coreApi.log (system warnings such as "test mode"). */
  onLog: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void = () => {};

  byName(name: string): RegisteredFunction | undefined {
    for (const fn of this.functions.values())
      if (fn.metadata.name.toLowerCase() === name.toLowerCase()) return fn;
    return undefined;
  }

  /** The object handed to `require('@azure/functions-core')`. */
  coreModule(hostVersion: string): Record<string, unknown> {
    const registry = this;
    return {
      version: '3.10.1',
      hostVersion,
      Disposable,
      registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
        const id = metadata.functionId || metadata.name;
        if (registry.functions.has(id))
          throw new Error(`A function with the id "${id}" has already been registered.`);
        registry.functions.set(id, { id, metadata, callback });
        return new Disposable(() => registry.functions.delete(id));
      },
      registerHook(name: string, callback: HookCallback): Disposable {
        if (!(name in registry.hooks)) throw new RangeError(`Unrecognized hook "${name}"`);
        const list = registry.hooks[name as HookName];
        list.push(callback);
        return new Disposable(() => list.splice(list.indexOf(callback) >>> 0, 1));
      },
      setProgrammingModel(model: ProgrammingModel): void {
        registry.programmingModel = model;
      },
      getProgrammingModel(): ProgrammingModel | undefined {
        return registry.programmingModel;
      },
      log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
        registry.onLog(level, category, message);
      },
    };
  }
}

/**
 * Makes `require('@azure/functions-core')` return the registry's module, from anywhere in
 * this process, as the worker does. Must run before the app's first require of
 * `@azure/functions` (the library caches a failed lookup forever).
 */
export function installCoreModule(registry: FunctionRegistry, hostVersion: string): void {
  const core = registry.coreModule(hostVersion);
  type RequireFn = (this: unknown, id: string) => unknown;
  const proto = Module.prototype as unknown as { require: RequireFn };
  const original = proto.require;
  proto.require = function (this: unknown, id: string) {
    if (id === '@azure/functions-core') return core;
    return original.call(this, id);
  };
}
