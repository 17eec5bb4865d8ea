/**
 * Connect-protocol errors: gRPC status → Connect code name and HTTP status, and the JSON
 * error body `{"code": "deadline_exceeded", "message": "..."}` (connectrpc.com/docs/protocol).
 */
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";

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

/**
 * A gateway error: an RpcError plus, when the protocol wants one other than the code's
 * (405 wrong method, 415 wrong content type), the HTTP status to answer with.
 */
export class GatewayError extends RpcError {
  readonly httpStatus: number;

  constructor(code: Status, message: string, httpStatus = connectHttpStatus(code)) {
    super(code, message);
    this.httpStatus = httpStatus;
  }
}

/** The HTTP status and JSON body of a failed call. */
export function connectErrorResponse(error: unknown): { httpStatus: number; body: string } {
  const rpc = RpcError.from(error);
  const httpStatus = rpc instanceof GatewayError ? rpc.httpStatus : connectHttpStatus(rpc.code);
  return { httpStatus, body: JSON.stringify({ code: connectCodeName(rpc.code), message: rpc.rawMessage }) };
}
