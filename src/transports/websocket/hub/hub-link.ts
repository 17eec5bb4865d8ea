import { WebSocket } from "ws";
import type { TransportConfig } from "../../../transport/config.js";
import type { StatsRecorder } from "../../../transport/stats.js";
import { AgentConnection } from "./agent-connection.js";
import { dial, type Dialled } from "../dial.js";
import { localCapabilities } from "../handshake.js";
import { BATCH_CAPABILITY, COMPRESSION_CAPABILITY, HUB_ROLE, ROLE_KEY, type WebSocketTuning } from "../options.js";
import type { WebSocketLike } from "../socket.js";
import type { HubLinkOptions } from "./hub-link-options.js";

/**
 * Dials the hub at `url` as hub `hubId` (Hello metadata role=hub) and returns the open
 * connection, not yet registered; `handoff` installs its message listener.
 * @internal
 */
export async function openHubLink(
  url: string,
  hubId: string,
  options: HubLinkOptions,
  config: Readonly<TransportConfig>,
  tuning: Readonly<WebSocketTuning>,
  stats: StatsRecorder,
): Promise<{ connection: AgentConnection; handoff: Dialled["handoff"] }> {
  const metadata: Record<string, string> = { [ROLE_KEY]: HUB_ROLE };
  if (options.token !== undefined) metadata["authorization"] = `Bearer ${options.token}`;
  const maxPayload = config.maxMessageSize + 1;
  const { link, negotiated, handoff } = await dial({
    url,
    agentId: hubId,
    createSocket: (target) => new WebSocket(target, { maxPayload, perMessageDeflate: false, ...options.tls }) as unknown as WebSocketLike,
    capabilities: localCapabilities(config.enableCompression && tuning.compression !== undefined),
    metadata,
    maxMessageSize: config.maxMessageSize,
    compressionThreshold: config.compressionThreshold,
    timeoutMs: config.connectionTimeoutMs,
    stats,
  });
  const agreed = negotiated.capabilities;
  link.negotiated(tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
  const connection = new AgentConnection(link.socket as unknown as WebSocket, link, url);
  connection.agentId = negotiated.hubId;
  connection.metadata = negotiated.metadata;
  connection.isHub = true;
  connection.identity = { ids: options.ids ?? ["*"], subject: `link:${url}` };
  connection.state = "open";
  return { connection, handoff };
}
