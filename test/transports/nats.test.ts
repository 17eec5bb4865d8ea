import { describeNats, natsFactory, useNatsCluster } from "../helpers/nats.js";
import { describeTransportConformance } from "../transport/conformance.js";

describeNats("NATS transport on a 3-node cluster", () => {
  const cluster = useNatsCluster();
  describeTransportConformance("nats", natsFactory(cluster));
});
