/**
 * HTTP headers ⇄ call metadata. Request headers that are not HTTP's or a protocol's own become
 * the call's metadata (names lower-case; repeated headers joined with ", "; `-bin` values stay
 * the base64 text gRPC sends, so an agent decodes them itself). The agent's response headers and
 * trailers go back the same way, minus names that would corrupt the response.
 */
import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders } from "node:http";

/** The header naming the agent a call goes to (an override of routing by service). */
export const TARGET_HEADER = "swarm-to";

/** Request headers that belong to HTTP or to the protocols, not to the call. */
const NOT_METADATA = new Set([
  "host", "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "content-type", "content-length",
  "content-encoding", "accept", "accept-encoding", "user-agent", "expect", "origin", "referer", "trailer", "http2-settings",
  "x-grpc-web", "x-user-agent", "access-control-request-method", "access-control-request-headers", TARGET_HEADER,
]);

/** Response names an agent may not set: HTTP's framing and the protocols' own fields. */
const NOT_RESPONSE = new Set(["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "content-type", "content-length", "content-encoding", "trailer", "date", "server"]);

/** The call metadata in a request's headers; undefined when there is none. */
export function requestMetadata(headers: IncomingHttpHeaders): Record<string, string> | undefined {
  let metadata: Record<string, string> | undefined;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" pseudo-header */ || NOT_METADATA.has(name) || name.startsWith("grpc-") || name.startsWith("connect-") || name.startsWith("sec-")) continue;
    const value = headers[name];
    if (value === undefined) continue;
    (metadata ??= {})[name] = typeof value === "string" ? value : value.join(", ");
  }
  return metadata;
}

/**
 * The agent's headers (or trailers) as response fields: reserved names dropped, and names or
 * values HTTP cannot carry left out rather than failing the response. `prefix` is prepended
 * (Connect unary writes trailers as `trailer-<name>` headers).
 */
export function responseFields(metadata: Readonly<Record<string, string>> | undefined, into: Record<string, string>, prefix = ""): Record<string, string> {
  if (metadata === undefined) return into;
  for (const key in metadata) {
    const name = key.toLowerCase();
    if (NOT_RESPONSE.has(name) || name.startsWith(":") || (name.startsWith("grpc-") && name !== "grpc-status-details-bin") || name.startsWith("connect-")) continue;
    const value = metadata[key]!;
    try {
      validateHeaderName(prefix + name);
      validateHeaderValue(prefix + name, value);
    } catch {
      continue;
    }
    into[prefix + name] = value;
  }
  return into;
}
