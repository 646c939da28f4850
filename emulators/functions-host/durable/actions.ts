// The orchestrator's answer (OrchestratorState, replay schema V2/V3) and how to read it:
// one cumulative list of top-level actions in yield order, compound Task.all/Task.any
// actions holding their children. Flattening it gives the "leaves" in the order the SDK
// numbers its tasks.

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsWire;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
  /** CallEntity / SignalEntity: the operation name (instanceId holds '@name@key'). */
  operation?: string;
  /** LockEntities: the entities, sorted and deduplicated by the SDK, and its request id. */
  lockSet?: { name: string; key: string }[];
  lockRequestId?: string;
  /** CallHttp: the request (DurableHttpRequest). */
  httpRequest?: { asynchronousPatternEnabled?: boolean; [field: string]: unknown };
}

export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/** A failed orchestrator invocation carries its state after a marker in the error message. */
export function stateFromFailure(message: string): OrchestratorState {
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at >= 0) {
    try {
      return JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
    } catch {
      // fall through: report the text as the failure
    }
  }
  return { isDone: false, actions: [[]], error: message };
}

/** Schema V1 sends one inner list per episode; V2+ one cumulative list. Both flatten the same way. */
export function flattenActions(state: OrchestratorState): Action[] {
  const leaves: Action[] = [];
  const visit = (action: Action) => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else leaves.push(action);
  };
  for (const group of state.actions ?? []) for (const action of group ?? []) visit(action);
  return leaves;
}

/** Whether the SDK gives this leaf a sequence number (external-event waits are matched by name). */
export function takesSequenceNumber(action: Action): boolean {
  return action.actionType !== ActionType.WaitForExternalEvent;
}

/**
 * Activity and continueAsNew inputs arrive JSON-encoded when they are strings
 * (Utils.processInput); everything else arrives as a value. History stores JSON text.
 */
export function encodePreprocessedInput(input: unknown): string {
  if (typeof input === 'string') return input;
  return JSON.stringify(input ?? null);
}

/** Sub-orchestration inputs are not pre-encoded. */
export function encodeRawInput(input: unknown): string {
  return JSON.stringify(input ?? null);
}

/** DTFx RetryInterceptor: first × backoff^(n-1), capped; 0 once attempts or the retry timeout run out. */
export function retryDelayMs(
  options: RetryOptionsWire,
  failedAttempts: number,
  firstAttemptAt: number,
  now: number,
): number {
  if (failedAttempts >= options.maxNumberOfAttempts) return 0;
  const timeout = options.retryTimeoutInMilliseconds;
  if (
    timeout !== undefined &&
    timeout > 0 &&
    timeout < Number.MAX_SAFE_INTEGER &&
    now >= firstAttemptAt + timeout
  )
    return 0;
  const delay =
    options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, failedAttempts - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 && delay > cap ? cap : delay;
}
