// Public: what a hub's authentication hook sees. Kept apart from admission, which works on
// connections, so the published types of swarm-transport/node never reach the `ws` package's types.
import type { IncomingMessage } from "node:http";

/** What an authentication hook sees: the Hello of an agent (or of a hub linking in), before it is registered or routed to. */
export interface HubAuthRequest {
  /** The id the Hello claims (its source): an agent id, or the linking hub's id. */
  agentId: string;
  /** "hub" when the Hello says role=hub (a hub link), else "agent". */
  role: "agent" | "hub";
  metadata: Readonly<Record<string, string>>;
  /** The bearer token from `metadata.authorization` ("Bearer <token>"), if any. */
  token: string | undefined;
  /** The HTTP upgrade request (headers, remote address, TLS socket). */
  request: IncomingMessage;
}
