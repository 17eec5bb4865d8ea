/**
 * grpc.health.v1.Health served by the hub itself: a service is SERVING while at least one agent
 * serves it, NOT_SERVING when its agents have gone (or the hub has only its schema), and
 * unknown otherwise (Check: NOT_FOUND; Watch: SERVICE_UNKNOWN). The empty name is the hub:
 * SERVING while it is open. Watch sends the current status, then each change, until cancelled.
 * https://github.com/grpc/grpc/blob/master/doc/health-checking.md
 */
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthDefinition,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "../../generated/grpc/health/v1/health.js";
import type { CallContext } from "../rpc/call-context.js";
import type { RpcServer } from "../rpc/server.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { ServiceState } from "../transports/websocket/hub/service-table.js";

/** What health reads: the hub's state and its service table. */
export interface HealthSource {
  /** Whether the hub still serves. */
  open(): boolean;
  /** A service's state (the table's, or "not-serving" for one the hub has only a schema of). */
  state(service: string): ServiceState;
  /** Calls `listener` with each service whose state changes; returns an unsubscribe function. */
  onChange(listener: (service: string) => void): () => void;
}

/** Adds grpc.health.v1.Health to `server`. */
export function addHealth(server: RpcServer, source: HealthSource): void {
  const status = (service: string): ServingStatus => {
    if (service === "") return source.open() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    const state = source.state(service);
    return state === "serving" ? ServingStatus.SERVING : state === "not-serving" ? ServingStatus.NOT_SERVING : ServingStatus.SERVICE_UNKNOWN;
  };
  server.add(HealthDefinition, {
    check(request: HealthCheckRequest): HealthCheckResponse {
      const now = status(request.service);
      if (now === ServingStatus.SERVICE_UNKNOWN) throw new RpcError(Status.NOT_FOUND, `service ${JSON.stringify(request.service)} is not known to this hub`);
      return { status: now };
    },
    async *watch(request: HealthCheckRequest, context: CallContext): AsyncIterable<HealthCheckResponse> {
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const changed = nextChange(source, request.service, context.signal);
        const now = status(request.service);
        if (now !== last) {
          last = now;
          yield { status: now };
        }
        await changed;
      }
    },
  });
}

/** Resolves when `service` changes state, or when `signal` aborts. */
function nextChange(source: HealthSource, service: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      unsubscribe();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const unsubscribe = source.onChange((changed) => {
      if (changed === service || service === "") done();
    });
    signal.addEventListener("abort", done, { once: true });
  });
}
