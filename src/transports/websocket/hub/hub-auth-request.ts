// Public: what a hub's authentication hook sees. Kept apart from admission, which works on
// connections, so the published types of swarm-transport/node never reach the `ws` package's types.
import type { IncomingMessage } from "node:http";

/** What an authentication hook sees: the agent's Hello, before it is registered or routed to. */
export interface HubAuthRequest {
  agentId: string;
  metadata: Readonly<Record<string, string>>;
  /** The bearer token from `metadata.authorization` ("Bearer <token>"), if any. */
  token: string | undefined;
  /** The HTTP upgrade request (headers, remote address). */
  request: IncomingMessage;
}
