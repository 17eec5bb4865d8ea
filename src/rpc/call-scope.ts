import { setActiveSpanSource, type TraceSpan } from "../trace/tracing.js";
import type { CallContext } from "./call-context.js";

/**
 * Where calls a handler makes find the call it serves when they do not name it
 * (`CallOptions.parent`): an implicit, per-async-flow "current call". The main entry has none
 * (browsers have no async context); `enableAsyncCallContext()` from "swarm-transport/node"
 * installs one built on `AsyncLocalStorage`, as OpenTelemetry installs its context manager.
 */
export interface CallContextManager {
  /** The call being served in the current async flow, if any. */
  active(): CallContext | undefined;
  /** Runs `fn` (and everything it starts asynchronously) with `context` as the active call. */
  with<T>(context: CallContext, fn: () => T): T;
}

let manager: CallContextManager | undefined;

/** Installs (or, with undefined, removes) the manager servers and clients use. Returns the previous one. */
export function setCallContextManager(next: CallContextManager | undefined): CallContextManager | undefined {
  const previous = manager;
  manager = next;
  // pub/sub (which knows nothing of calls) finds the span of the call being served through this
  setActiveSpanSource(next === undefined ? undefined : activeSpan);
  return previous;
}

/** The active call of the installed manager, or undefined (none installed, or no call active). */
export function activeCallContext(): CallContext | undefined {
  return manager?.active();
}

function activeSpan(): TraceSpan | undefined {
  return manager?.active()?.span;
}

/** Runs `fn(arg)` with `context` active when a manager is installed; else just runs it. @internal */
export function withCallContext<A, T>(context: CallContext, fn: (arg: A) => T, arg: A): T {
  return manager === undefined ? fn(arg) : manager.with(context, () => fn(arg));
}
