/**
 * Deadlines as the HTTP protocols send them: gRPC's `grpc-timeout` (1–8 digits and a unit:
 * H hours, M minutes, S seconds, m ms, u µs, n ns) and Connect's `connect-timeout-ms` (1–10
 * digits). Both become the call's timeout in whole ms (rounded up, so a deadline is never
 * shortened to 0), cut to `maxMs`. A malformed value is INVALID_ARGUMENT.
 */
import { Status } from "../status/status.js";
import { GatewayError } from "./gateway-error.js";

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** ms of a `grpc-timeout` value; undefined when absent. */
export function parseGrpcTimeout(value: string | string[] | undefined, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === "string" ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  if (match === null) throw new GatewayError(Status.INVALID_ARGUMENT, `grpc-timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n), got ${JSON.stringify(value)}`);
  return cut(Math.ceil(Number(match[1]) * UNIT_MS[match[2]!]!), maxMs);
}

/** ms of a `connect-timeout-ms` value; undefined when absent. */
export function parseConnectTimeout(value: string | string[] | undefined, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d{1,10}$/.test(value)) throw new GatewayError(Status.INVALID_ARGUMENT, `connect-timeout-ms must be 1 to 10 digits, got ${JSON.stringify(value)}`);
  return cut(Number(value), maxMs);
}

/** A `grpc-timeout` value for `ms` (the shortest exact form that fits 8 digits). */
export function formatGrpcTimeout(ms: number): string {
  if (ms < 1e8) return `${Math.max(0, Math.ceil(ms))}m`;
  if (ms / 1000 < 1e8) return `${Math.ceil(ms / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(ms / 3_600_000))}H`;
}

/** 0 means "no time left": the call fails with DEADLINE_EXCEEDED at once, as the client asked. */
function cut(ms: number, maxMs: number): number {
  return Math.min(ms, maxMs);
}
