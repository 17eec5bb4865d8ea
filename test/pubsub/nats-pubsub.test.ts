import { describeNats, natsFactory, useNatsCluster } from "../helpers/nats.js";
import { describePubSubSuite } from "./pubsub-suite.js";

describeNats("pub/sub over NATS (3-node cluster)", () => {
  const cluster = useNatsCluster();
  describePubSubSuite("nats", natsFactory(cluster));
});
