// Public: the options of `WebSocketHub.link`. Kept apart from the dialling code so the published
// types of swarm-transport/node never reach the `ws` package's types.

/** How a hub connects to another hub. */
export interface HubLinkOptions {
  /** The link credential the other hub expects (its `links.token`, or a signed hub token). */
  token?: string;
  /** Trust settings for a wss:// hub; `cert` and `key` present this hub's certificate (mutual TLS). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; cert?: string | Buffer; key?: string | Buffer };
  /** Ids (patterns, as in `HubIdentity`) the other hub may announce over this link. Default `["*"]`: any id not taken here. */
  ids?: readonly string[];
}
