import { describeNats, natsFactory, useNatsCluster } from "../helpers/nats.js";
import { describeRpcSuite } from "./rpc-suite.js";

describeNats("typed RPC over NATS (3-node cluster)", () => {
  const cluster = useNatsCluster();
  describeRpcSuite("nats", natsFactory(cluster));
});
