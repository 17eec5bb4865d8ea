/**
 * gzip on the HTTP edge, both ways: which encodings a request may use (gzip, identity),
 * negotiation from the client's accept list, bounded inflation (a compression bomb costs at
 * most `maxBytes`), and deflation of responses worth compressing.
 */
import { promisify } from "node:util";
import { gunzip as gunzipCallback, gzip as gzipCallback, constants } from "node:zlib";
import { Status } from "../status/status.js";
import { GatewayError } from "./gateway-error.js";

/** The request encodings the edge reads, as it announces them (`grpc-accept-encoding`, `accept-encoding`). */
export const ACCEPTED_ENCODINGS = "gzip, identity";

const gunzipAsync = promisify(gunzipCallback);
const gzipAsync = promisify(gzipCallback);

/**
 * Whether the request's message encoding (`grpc-encoding`, `content-encoding`,
 * `connect-content-encoding`) is gzip (true) or none (false). Anything else is UNIMPLEMENTED,
 * with the encodings the edge reads in `headerName`.
 */
export function requestCompressed(value: string | string[] | undefined, what: string, headerName: string): boolean {
  if (value === undefined || value === "identity") return false;
  if (value === "gzip") return true;
  throw new GatewayError(Status.UNIMPLEMENTED, `${what} ${JSON.stringify(value)} is not supported (gzip or identity)`, { headers: { [headerName]: ACCEPTED_ENCODINGS } });
}

/** Whether a client's accept list (`grpc-accept-encoding`, `accept-encoding`, ...) takes gzip. */
export function acceptsGzip(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const list = typeof value === "string" ? value : value.join(",");
  for (const item of list.split(",")) {
    const [name, ...params] = item.trim().split(";");
    if (name!.trim().toLowerCase() !== "gzip") continue;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  }
  return false;
}

/** Inflates a gzip message, refusing (RESOURCE_EXHAUSTED) past `maxBytes`; a corrupt one is INVALID_ARGUMENT. */
export async function gunzip(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await gunzipAsync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new GatewayError(Status.RESOURCE_EXHAUSTED, `the message inflates past the limit of ${maxBytes} bytes`);
    }
    throw new GatewayError(Status.INVALID_ARGUMENT, `the message is not valid gzip: ${(error as Error).message}`);
  }
}

/** Deflates a response message. */
export function gzip(data: Uint8Array): Promise<Uint8Array> {
  return gzipAsync(data, { level: constants.Z_DEFAULT_COMPRESSION });
}
