import { describeNats, useNatsCluster } from "../helpers/nats.js";
import { natsHubsFactory } from "../helpers/nats-hubs.js";
import { describePubSubSuite } from "../pubsub/pubsub-suite.js";
import { describeRpcSuite } from "../rpc/rpc-suite.js";
import { describeTransportConformance } from "../transport/conformance.js";

// The suites every transport runs, with agents alternating between two hubs on a NATS
// backplane (3-node cluster): every two-agent test crosses from hub 0 to hub 1.
describeNats("WebSocket hubs on a NATS backplane", () => {
  const cluster = useNatsCluster();
  describeTransportConformance("websocket, two hubs on NATS", natsHubsFactory(cluster));
  describeRpcSuite("websocket, two hubs on NATS", natsHubsFactory(cluster));
  describePubSubSuite("websocket, two hubs on NATS", natsHubsFactory(cluster));
});
