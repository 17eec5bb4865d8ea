import { RpcError, type RpcErrorOptions } from "../status/rpc-error.js";
import type { Status } from "../status/status.js";

/**
 * A call refused at the edge: an RpcError plus, for the Connect protocol, an HTTP status other
 * than the code's own where the protocol wants one (404 not a procedure, 405 wrong method, 415
 * wrong content type); gRPC and gRPC-Web carry only the code. `headers` go on the answer
 * (e.g. `grpc-accept-encoding` when a compression is refused).
 */
export class GatewayError extends RpcError {
  readonly httpStatus: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: Status, message: string, options: RpcErrorOptions & { httpStatus?: number; headers?: Record<string, string> } = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
    this.headers = options.headers ?? {};
  }
}
