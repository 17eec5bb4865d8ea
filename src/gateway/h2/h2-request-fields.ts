/**
 * A request's header fields as RFC 9113 §8.2–8.3 allows them, turned into node's header object:
 * pseudo-header fields first, each once, only the four a request has; `:method` always, `:scheme`
 * and `:path` unless CONNECT; no connection-specific fields; `te` only as "trailers"; names
 * without upper case; a :method that is a token, a :path of visible ASCII, an :authority without
 * userinfo, and a host that says the same (RFC 9113 §8.3.1). Anything else makes the request
 * malformed: a stream error PROTOCOL_ERROR.
 * The characters of names and values are checked as HPACK decodes them (`validName`,
 * `validValue`), so fields the dynamic table hands out again are not checked again.
 */
import type { IncomingHttpHeaders } from "node:http";
import { AUTHORITY, TARGET } from "../request-target.js";

/** The request's headers, or why it is malformed. */
export function requestHeaders(fields: readonly [string, string][]): IncomingHttpHeaders | string {
  const headers: IncomingHttpHeaders = {};
  let regular = false;
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (name !== ":method" && name !== ":path" && name !== ":scheme" && name !== ":authority") return `pseudo-header ${name} in a request`;
      if (headers[name] !== undefined) return `${name} twice`;
      headers[name] = value;
      continue;
    }
    regular = true;
    const problem = connectionSpecific(name, value);
    if (problem !== undefined) return problem;
    const before = headers[name];
    if (name === "content-length" && (before !== undefined || !/^\d{1,15}$/.test(value))) return `content-length: ${value}`;
    headers[name] = before === undefined ? value : `${String(before)}${name === "cookie" ? "; " : ", "}${value}`;
  }
  const method = headers[":method"] as string | undefined;
  if (method === undefined || !TOKEN.test(method)) return `:method ${JSON.stringify(method ?? "")}`;
  if (method !== "CONNECT") {
    const path = headers[":path"] as string | undefined;
    const scheme = headers[":scheme"] as string | undefined;
    if (path === undefined || path === "" || scheme === undefined) return "no :path or :scheme";
    if (path.charCodeAt(0) !== 0x2f && !(path === "*" && method === "OPTIONS")) return "a :path that is neither absolute nor *";
    if (!TARGET.test(path)) return "a :path with characters a URI may not have";
    if (!SCHEME.test(scheme)) return `:scheme ${JSON.stringify(scheme)}`;
  }
  const authority = headers[":authority"] as string | undefined;
  const host = headers["host"] as string | undefined;
  if (authority !== undefined && !AUTHORITY.test(authority)) return `:authority ${JSON.stringify(authority)}`;
  if (host !== undefined) {
    if (authority === undefined ? host !== "" && !AUTHORITY.test(host) : host.toLowerCase() !== authority.toLowerCase()) return `host ${JSON.stringify(host)} (with :authority ${JSON.stringify(authority ?? "")})`;
  }
  return headers;
}

/** A method is a token (RFC 9110 §9.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A scheme (RFC 3986 §3.1). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

/** Whether a trailer section may end the request: no pseudo-header fields, nothing connection-specific. */
export function trailersProblem(fields: readonly [string, string][]): string | undefined {
  for (const [name, value] of fields) {
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header ${name} in trailers`;
    const problem = connectionSpecific(name, value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function connectionSpecific(name: string, value: string): string | undefined {
  switch (name) {
    case "connection":
    case "proxy-connection":
    case "keep-alive":
    case "transfer-encoding":
    case "upgrade":
      return `connection-specific field ${name}`;
    case "te":
      return value === "trailers" ? undefined : `te: ${value}`;
    default:
      return undefined;
  }
}

/**
 * Whether `name` may be a field name (RFC 9113 §8.2.1): not empty; none of 0x00–0x20, A–Z,
 * 0x7f–0xff; a colon only as a pseudo-header's first character.
 */
export function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || (c >= 0x41 && c <= 0x5a) || c >= 0x7f || (c === 0x3a && i > 0)) return false;
  }
  return true;
}

/** Whether `value` may be a field value (RFC 9113 §8.2.1): no NUL, CR or LF; no space or tab at either end. */
export function validValue(value: string): boolean {
  const last = value.length - 1;
  if (last < 0) return true;
  const first = value.charCodeAt(0);
  const end = value.charCodeAt(last);
  if (first === 0x20 || first === 0x09 || end === 0x20 || end === 0x09) return false;
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0) return false;
  }
  return true;
}
