// Public: the options of `WebSocketHub.link`. Kept apart from the dialling code so the published
// types of swarm-transport/node never reach the `ws` package's types.

/** How a hub connects to another hub. */
export interface HubLinkOptions {
  /** Bearer token for the other hub's authentication hook. */
  token?: string;
  /** Trust settings for a wss:// hub. */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}
