/**
 * Plain words for a failed connect or listen, from the socket error beneath it. Node's own
 * messages repeat the address the caller already names ("listen EADDRINUSE: address already in
 * use 127.0.0.1:8080"); these do not. Pure: no Node import, so the browser-safe client uses it too.
 */
const PLAIN: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the peer",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed (temporarily)",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
};

/** The text for `error`: plain words for a known `code` (ECONNREFUSED, EADDRINUSE, ...), else its message. */
export function socketErrorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && PLAIN[code] !== undefined) return PLAIN[code];
  const message = error instanceof Error ? error.message : String(error);
  // ws, when the server answers the upgrade with a plain HTTP response
  const status = /^Unexpected server response: (\d+)$/.exec(message);
  if (status !== null) return `the server answered HTTP ${status[1]} instead of a WebSocket upgrade`;
  return message;
}
