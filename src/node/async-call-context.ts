import { AsyncLocalStorage } from "node:async_hooks";
import type { CallContext } from "../rpc/call-context.js";
import { setCallContextManager, type CallContextManager } from "../rpc/call-scope.js";

/**
 * Makes the call a handler serves implicit in Node: calls its handler makes (and anything they
 * start asynchronously) inherit its deadline and cancellation without passing
 * `{ parent: context }`. Built on `AsyncLocalStorage`; install it once at start-up. Returns a
 * function that removes it again. A call opts out with `{ parent: null }`.
 * ```ts
 * import { enableAsyncCallContext } from "swarm-transport/node";
 * enableAsyncCallContext();
 * ```
 */
export function enableAsyncCallContext(): () => void {
  const storage = new AsyncLocalStorage<CallContext>();
  const manager: CallContextManager = {
    active: () => storage.getStore(),
    with: (context, fn) => storage.run(context, fn),
  };
  const previous = setCallContextManager(manager);
  return () => {
    setCallContextManager(previous);
    storage.disable();
  };
}
