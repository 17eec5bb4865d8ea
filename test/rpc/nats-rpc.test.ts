import { describeNats, natsFactory, useNatsCluster } from "../helpers/nats.js";
import { describeInteropSuite } from "./interop-suite.js";
import { describeRpcSuite } from "./rpc-suite.js";
import { describeSettlementSuite } from "./settlement-suite.js";

describeNats("typed RPC over NATS (3-node cluster)", () => {
  const cluster = useNatsCluster();
  describeRpcSuite("nats", natsFactory(cluster));
  describeSettlementSuite("nats", natsFactory(cluster));
  describeInteropSuite("nats", natsFactory(cluster));
});
