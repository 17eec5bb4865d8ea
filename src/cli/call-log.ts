import type { ServerInterceptor } from "../rpc/interceptors.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { parseTraceParent } from "../trace/trace-context.js";
import type { Logger } from "./log.js";

/** Codes that say this side failed (the others are the caller's doing, or its choice to stop). */
const OWN_FAULT = new Set<Status>([Status.UNKNOWN, Status.INTERNAL, Status.UNAVAILABLE, Status.DATA_LOSS, Status.UNIMPLEMENTED, Status.DEADLINE_EXCEEDED]);

/**
 * A server interceptor logging every call served: at debug when it ends OK or the caller's
 * doing, at warn when this side failed. Records carry the method, the caller, the status,
 * milliseconds, and the trace id when the call came with a traceparent. Streams are logged when
 * the handler returns them, not when they end.
 */
export function logCalls(log: Logger): ServerInterceptor {
  return (call, next) => {
    if (!log.enabled("debug") && !log.enabled("warn")) return next(call);
    const started = performance.now();
    const { context } = call;
    const done = (code: Status, message?: string) => {
      const level = code === Status.OK || !OWN_FAULT.has(code) ? "debug" : "warn";
      if (!log.enabled(level)) return;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const traceId = parseTraceParent(context.span?.traceparent ?? context.metadata["traceparent"])?.traceId;
      const text = `${call.method.path} for ${JSON.stringify(context.peer)}: ${Status[code]}${message === undefined ? "" : ` (${message})`} in ${ms} ms`;
      log.log(level, "call-served", text, { method: call.method.path, peer: context.peer, code: Status[code], ms, traceId, error: message });
    };
    try {
      const outcome = next(call);
      if (outcome instanceof Promise) {
        return outcome.then(
          (value: unknown) => (done(Status.OK), value),
          (error: unknown) => {
            const failure = RpcError.from(error);
            done(failure.code, failure.rawMessage);
            throw error;
          },
        );
      }
      done(Status.OK);
      return outcome;
    } catch (error) {
      const failure = RpcError.from(error);
      done(failure.code, failure.rawMessage);
      throw error;
    }
  };
}
