import { websocketFactory } from "../transports/websocket-factory.js";
import { describeInteropSuite } from "./interop-suite.js";
import { describeRpcSuite } from "./rpc-suite.js";
import { describeSettlementSuite } from "./settlement-suite.js";

describeRpcSuite("websocket", websocketFactory);
describeSettlementSuite("websocket", websocketFactory);
describeInteropSuite("websocket", websocketFactory);
