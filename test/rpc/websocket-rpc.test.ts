import { websocketFactory } from "../transports/websocket-factory.js";
import { describeRpcSuite } from "./rpc-suite.js";

describeRpcSuite("websocket", websocketFactory);
