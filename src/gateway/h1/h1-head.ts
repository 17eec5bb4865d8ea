/**
 * An HTTP/1.1 request head (request line and fields, RFC 9112) as the edge reads it: strictly,
 * so that nothing it lets through can be read another way by node's parser (the rest of a
 * connection may go there) or by anything behind. Refused: obs-fold and whitespace before a
 * colon, control characters in values, a target that is not visible ASCII, a missing, repeated
 * or malformed Host (userinfo, spaces), Content-Length that is not one run of digits or comes
 * twice, Transfer-Encoding beside Content-Length (request smuggling), Transfer-Encoding other
 * than a final "chunked", and more fields than `maxHeaderCount`.
 */
import type { IncomingHttpHeaders } from "node:http";
import { AUTHORITY } from "../request-target.js";

/** A request head the edge accepts. */
export interface ParsedHead {
  method: string;
  target: string;
  headers: IncomingHttpHeaders;
  /** The body's length (0 without content-length). */
  contentLength: number;
  keepAlive: boolean;
  /** Whether the edge answers it here (else node's server takes the connection: upgrades, chunked bodies, …). */
  plain: boolean;
}

/** A head refused: the status to answer with before closing the connection. */
export interface RefusedHead {
  status: 400 | 431 | 501;
  reason: string;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB (RFC 9110 §5.5: a field value is VCHAR, SP, HTAB, obs-text). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Reads a request head (without its final CRLF CRLF). */
export function parseHead(text: string, maxHeaderCount: number): ParsedHead | RefusedHead {
  const lines = text.split("\r\n");
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) return bad("malformed request line");
  const [, method, target, minor] = requestLine as unknown as [string, string, string, string];
  if (lines.length - 1 > maxHeaderCount) return { status: 431, reason: `more than ${maxHeaderCount} header fields` };
  const headers: IncomingHttpHeaders = {};
  let lengths = 0;
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    // a line starting with whitespace is obs-fold (RFC 9112 §5.2), refused like any name that is not a token
    if (colon <= 0) return bad("a header line without a name");
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) return bad("a header name that is not a token");
    const value = line.slice(colon + 1).trim();
    if (CONTROL.test(value)) return bad("a control character in a header value");
    if (name === "content-length") lengths++;
    else if (name === "host") hosts++;
    const before = headers[name];
    headers[name] = before === undefined ? value : name === "set-cookie" ? [...(Array.isArray(before) ? before : [before]), value] : `${String(before)}, ${value}`;
  }
  const lengthText = headers["content-length"] as string | undefined;
  if (lengths > 1 || (lengthText !== undefined && !/^\d{1,15}$/.test(lengthText))) return bad("content-length");
  if (minor === "1" && hosts !== 1) return bad(hosts === 0 ? "no host" : "host twice");
  const host = headers["host"] as string | undefined;
  if (host !== undefined && host !== "" && !AUTHORITY.test(host)) return bad("a host that is not an authority");
  const coding = headers["transfer-encoding"] as string | undefined;
  if (coding !== undefined) {
    // RFC 9112 §6.1, §6.3: with content-length, or in HTTP/1.0, the framing cannot be trusted
    if (lengthText !== undefined) return bad("transfer-encoding and content-length together");
    if (minor === "0") return bad("transfer-encoding in HTTP/1.0");
    const codings = coding.toLowerCase();
    if (codings !== "chunked") return codings.endsWith("chunked") ? { status: 501, reason: `transfer-encoding ${coding}` } : bad("transfer-encoding without a final chunked");
  }
  const connection = String(headers["connection"] ?? "").toLowerCase();
  const keepAlive = minor === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  // an upgrade to h2c (RFC 7540 §3.2, removed by RFC 9113) is ignored, as RFC 9110 §7.8 allows:
  // the request is answered in HTTP/1.1 (prior knowledge is how to reach the edge's HTTP/2)
  const upgrade = headers["upgrade"] as string | undefined;
  const plain = target.startsWith("/") && method !== "HEAD" && minor === "1" && coding === undefined && (upgrade === undefined || upgrade.toLowerCase() === "h2c") && headers["expect"] === undefined;
  return { method, target, headers, contentLength: lengthText === undefined ? 0 : Number(lengthText), keepAlive, plain };
}

/** Whether `head` was refused. */
export function refused(head: ParsedHead | RefusedHead): head is RefusedHead {
  return "status" in head;
}

function bad(reason: string): RefusedHead {
  return { status: 400, reason };
}
