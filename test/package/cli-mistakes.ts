/** A command-line mistake and what the CLI must answer: an exit code and one line of stderr. */
export interface CliMistake {
  /** What the user got wrong. */
  readonly what: string;
  readonly args: readonly string[];
  /** The documented exit code: 2 bad arguments, 3 hub unreachable. */
  readonly code: 2 | 3;
  /** The one line on stderr (whole-line match). */
  readonly line: RegExp;
}

/** Addresses the cases need: a port nothing listens on, one that is taken, the example .proto, a folder with files. */
export interface MistakeContext {
  readonly closedPort: number;
  readonly takenPort: number;
  readonly proto: string;
  readonly nonEmptyDir: string;
}

const FIB = "swarm.examples.v1.ComputeService/Fibonacci";

/** Every kind of mistake the README's exit-code table covers. */
export function cliMistakes({ closedPort, takenPort, proto, nonEmptyDir }: MistakeContext): CliMistake[] {
  const closed = `ws://127.0.0.1:${closedPort}`;
  return [
    { what: "no command", args: [], code: 2, line: /^swarm-transport: no command given; commands: init, hub, agent, call, publish, subscribe, top, token, bench \(see: swarm-transport --help\)$/ },
    { what: "an unknown command", args: ["teleport"], code: 2, line: /^swarm-transport: unknown command "teleport"; commands: init, hub, agent, call, publish, subscribe, top, token, bench \(see: swarm-transport --help\)$/ },
    { what: "an unknown flag", args: ["call", "--frobnicate"], code: 2, line: /^Unknown option '--frobnicate'.* \(see: swarm-transport call --help\)$/ },
    { what: "--bind garbage", args: ["hub", "--bind", "garbage"], code: 2, line: /^hub: --bind "garbage" is not HOST:PORT; give one such as 127\.0\.0\.1:8080 \(port 0 picks a free one\)$/ },
    { what: "a port past 65535", args: ["hub", "--bind", "127.0.0.1:99999"], code: 2, line: /^hub: --bind "127\.0\.0\.1:99999" has port 99999, past 65535; give one such as 127\.0\.0\.1:8080 \(port 0 picks a free one\)$/ },
    { what: "--http-bind without a port", args: ["hub", "--http-bind", "localhost"], code: 2, line: /^hub: --http-bind "localhost" is not HOST:PORT; give one such as/ },
    { what: "a size that is not a number", args: ["hub", "--max-message-size", "big"], code: 2, line: /^hub: --max-message-size "big" is not a whole number; give one like 10485760$/ },
    { what: "a certificate without its key", args: ["hub", "--tls-cert", "cert.pem"], code: 2, line: /^hub: --tls-cert and --tls-key go together/ },
    { what: "--hub nonsense", args: ["publish", "--hub", "nonsense", "demo.hello"], code: 2, line: /^publish: --hub "nonsense" is not a URL; give a hub URL such as ws:\/\/127\.0\.0\.1:8080$/ },
    { what: "a hub port past 65535", args: ["call", "--hub", "ws://127.0.0.1:99999", "--to", "a", "--proto", proto, FIB], code: 2, line: /^call: --hub "ws:\/\/127\.0\.0\.1:99999" has port 99999, past 65535; give a hub URL such as/ },
    { what: "a hub URL no transport serves", args: ["subscribe", "--hub", "http://127.0.0.1:8080", "a.>"], code: 2, line: /^subscribe: --hub "http:\/\/127\.0\.0\.1:8080" uses http:\/\/, which no transport serves \(.*ws:\/\/.*\); give a hub URL such as/ },
    { what: "a missing --id", args: ["agent"], code: 2, line: /^agent: --id is required \(see: swarm-transport agent --help\)$/ },
    { what: "a token without --id", args: ["token", "--secret-file", "secret"], code: 2, line: /^token: --id is required \(see: swarm-transport token --help\)$/ },
    { what: "two kinds of agent authentication", args: ["hub", "--auth-token", "t", "--auth-secret-file", "secret"], code: 2, line: /^hub: choose one of --auth-secret-file, --auth-public-key and --auth-token$/ },
    { what: "a count that is not a number", args: ["subscribe", "--count", "many", "a.>"], code: 2, line: /^subscribe: --count "many" is not a whole number; give one like 10$/ },
    { what: "a bad subject", args: ["publish", "no spaces"], code: 2, line: /^publish: / },
    { what: "an unknown method", args: ["call", "--to", "a", "--proto", proto, "swarm.examples.v1.ComputeService/Nope"], code: 2, line: /^call: .*unknown method Nope/ },
    { what: "request JSON that does not parse", args: ["call", "--to", "a", "--proto", proto, FIB, "{n:"], code: 2, line: /^call: the request is not valid JSON \(.*\); quote it for the shell, e\.g\. '\{"n": 42\}', or give @FILE or - for stdin$/ },
    { what: "request JSON that does not fit the schema", args: ["call", "--to", "a", "--proto", proto, FIB, '{"n": 4294967296}'], code: 2, line: /^call: invalid value for field "n" \(uint32\): 4294967296 is out of range$/ },
    { what: "a .proto for the gateway that is not there", args: ["hub", "--bind", "127.0.0.1:0", "--gateway-proto", "no/such.proto"], code: 2, line: /^hub: --gateway-proto: cannot load no\/such\.proto: / },
    { what: "a request file that is not there", args: ["call", "--to", "a", "--proto", proto, FIB, "@no-such-request.json"], code: 2, line: /^call: cannot read the request from @no-such-request\.json: no such file; give the JSON itself, @FILE or - for stdin$/ },
    { what: "init into a folder with files", args: ["init", nonEmptyDir], code: 2, line: /already has package\.json.* \(use an empty folder, or --force to overwrite\)$/ },
    { what: "a hub that is not running (call)", args: ["call", "--hub", closed, "--to", "a", "--proto", proto, FIB, "{}"], code: 3, line: new RegExp(`^call: cannot reach the hub at ${closed}: connection refused \\(start one with: swarm-transport hub --bind 127\\.0\\.0\\.1:${closedPort}; or pass --hub URL\\)$`) },
    { what: "a hub that is not running (agent)", args: ["agent", "--id", "a", "--hub", closed], code: 3, line: /^agent: cannot reach the hub at .*: connection refused \(start one with/ },
    { what: "a port that is taken", args: ["hub", "--bind", `127.0.0.1:${takenPort}`], code: 3, line: new RegExp(`^hub: cannot listen on 127\\.0\\.0\\.1:${takenPort}: address already in use \\(stop what is using it, or choose another port with --bind HOST:PORT \\(port 0 picks a free one\\)\\)$`) },
  ];
}
