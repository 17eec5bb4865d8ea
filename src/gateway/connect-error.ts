/**
 * Connect-protocol errors: gRPC status → Connect code name and HTTP status, and the JSON
 * error body `{"code": "deadline_exceeded", "message": "...", "details": [...]}`
 * (connectrpc.com/docs/protocol).
 */
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { GatewayError } from "./gateway-error.js";
import { statusDetails } from "./status-details.js";

/** Connect's code names, indexed by gRPC status (note Connect's spelling "canceled"). */
const CODE_NAMES: readonly string[] = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** HTTP status of each gRPC status, as the Connect protocol maps them. */
const HTTP_STATUS: readonly number[] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

/** "deadline_exceeded" for Status.DEADLINE_EXCEEDED; "unknown" outside the enum. */
export function connectCodeName(status: Status): string {
  return CODE_NAMES[status] ?? "unknown";
}

/** The HTTP status Connect uses for `status` (500 outside the enum). */
export function connectHttpStatus(status: Status): number {
  return HTTP_STATUS[status] ?? 500;
}

/** The JSON error object of Connect (unary body, or the `error` of a stream's end message). */
export function connectErrorJson(error: RpcError): { code: string; message: string; details?: { type: string; value: string }[] } {
  const json: ReturnType<typeof connectErrorJson> = { code: connectCodeName(error.code), message: error.rawMessage };
  const details = statusDetails(error)?.details;
  if (details !== undefined && details.length > 0) {
    json.details = details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: Buffer.from(any.value).toString("base64").replace(/=+$/, "") }));
  }
  return json;
}

/** The HTTP status and JSON body of a failed unary call. */
export function connectErrorResponse(error: unknown): { httpStatus: number; body: string } {
  const rpc = RpcError.from(error);
  const httpStatus = (rpc instanceof GatewayError ? rpc.httpStatus : undefined) ?? connectHttpStatus(rpc.code);
  return { httpStatus, body: JSON.stringify(connectErrorJson(rpc)) };
}
