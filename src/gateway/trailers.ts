/**
 * How a call's outcome is written for gRPC and gRPC-Web: `grpc-status`, `grpc-message`
 * (percent-encoded UTF-8, gRPC's HTTP/2 mapping), `grpc-status-details-bin` (base64 of a
 * google.rpc.Status) and the agent's trailers; for gRPC-Web the same fields as an HTTP/1-style
 * header block in a body frame flagged 0x80.
 */
import type { RpcError } from "../status/rpc-error.js";
import { encodeStatus, statusDetails } from "./status-details.js";

/** The status fields (and metadata) ending a call: `error` undefined means OK. */
export function grpcStatusFields(error: RpcError | undefined, metadata: Readonly<Record<string, string>>): Record<string, string> {
  const fields: Record<string, string> = { ...metadata };
  if (error === undefined) {
    fields["grpc-status"] = "0";
    return fields;
  }
  fields["grpc-status"] = String(error.code);
  if (error.rawMessage !== "") fields["grpc-message"] = percentEncode(error.rawMessage);
  if (fields["grpc-status-details-bin"] === undefined) {
    const status = statusDetails(error);
    if (status !== undefined) fields["grpc-status-details-bin"] = Buffer.from(encodeStatus(status)).toString("base64").replace(/=+$/, "");
  }
  return fields;
}

/**
 * gRPC's `grpc-message` encoding: the UTF-8 bytes, with every byte outside printable ASCII
 * (0x20–0x7E) and "%" itself written as %XX.
 */
export function percentEncode(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The inverse of `percentEncode`; a malformed escape is kept as written. */
export function percentDecode(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const escape = value[i] === "%" ? /^[0-9a-fA-F]{2}$/.exec(value.slice(i + 1, i + 3)) : null;
    if (escape !== null) {
      bytes.push(parseInt(escape[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(value[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** gRPC-Web's trailer block: "name: value\r\n" per field, names lower-case. */
export function trailerBlock(fields: Readonly<Record<string, string>>): Uint8Array {
  let text = "";
  for (const [name, value] of Object.entries(fields)) text += `${name.toLowerCase()}: ${value}\r\n`;
  return Buffer.from(text, "latin1");
}
