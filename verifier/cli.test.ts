/** The verifier's command line: parsing, messages and exit status for usage errors. */
import { expect } from "chai";
import { main, parseCli, parseExpect } from "./cli";
import { parseAddress } from "./verify";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(args, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
}

describe("verifier CLI", () => {
    it("parses every flag", () => {
        const p = parseCli([
            "--url", "http://a.test/", "--host", "h.test", "--address", "127.0.0.1:8080", "--expect", "v1=70,v2=30",
            "--alpha", "0.01", "--power", "0.9", "--min-effect", "5", "--max-requests", "500", "--time-limit", "30",
            "--timeout-ms", "1000", "--concurrency", "4", "--max-error-rate", "0.1", "--json",
        ]);
        expect(p).to.deep.equal({
            help: false,
            json: true,
            options: {
                url: "http://a.test/", host: "h.test", address: "127.0.0.1:8080", expect: { v1: 70, v2: 30 },
                alpha: 0.01, power: 0.9, minEffect: 5, maxRequests: 500, timeLimitSeconds: 30, timeoutMs: 1000, concurrency: 4, maxErrorRate: 0.1,
            },
        });
        expect(parseCli(["--help"])).to.deep.equal({ help: true });
    });

    const bad: [string, string[], RegExp][] = [
        ["no --url", ["--expect", "v1=100"], /--url is required/],
        ["no --expect", ["--url", "http://a.test/"], /--expect is required/],
        ["an unknown flag", ["--url", "http://a.test/", "--expect", "v1=100", "--bogus"], /Unknown option '--bogus'/],
        ["shares not summing to 100", ["--url", "http://a.test/", "--expect", "v1=50,v2=40"], /sum to 100, they sum to 90/],
        ["a fractional share", ["--url", "http://a.test/", "--expect", "v1=50.5,v2=49.5"], /v1=50.5: a share is an integer from 0 to 100/],
        ["a version twice", ["--url", "http://a.test/", "--expect", "v1=50,v1=50"], /names v1 twice/],
        ["a malformed pair", ["--url", "http://a.test/", "--expect", "v1:50"], /"v1:50" is not VERSION=PERCENT/],
        ["a non-integer budget", ["--url", "http://a.test/", "--expect", "v1=100", "--max-requests", "1e2.5"], /--max-requests must be an integer/],
        ["a non-number", ["--url", "http://a.test/", "--expect", "v1=100", "--alpha", "small"], /--alpha must be a number/],
    ];
    for (const [what, args, message] of bad) {
        it(`rejects ${what} with exit 2 and a clear message`, async () => {
            const r = await runCli(args);
            expect(r.code).to.equal(2);
            expect(r.err).to.match(message);
            expect(r.err).to.match(/--help/);
            expect(r.out).to.equal("");
        });
    }

    const ranges: [string, string[], RegExp][] = [
        ["an α out of range", ["--alpha", "0.7"], /--alpha must be between 0 and 0.5/],
        ["a power out of range", ["--power", "1"], /--power must be between 0.5 and 1/],
        ["a zero concurrency", ["--concurrency", "0"], /--concurrency must be a whole number, at least 1 and at most 1024/],
        ["an error rate of 1", ["--max-error-rate", "1"], /--max-error-rate must be at least 0 and below 1/],
        ["a bad address", ["--address", "127.0.0.1"], /--address must be host:port/],
        ["a port above 65535", ["--address", "127.0.0.1:65536"], /--address must be host:port with a port from 1 to 65535/],
        ["a time limit a timer cannot hold", ["--time-limit", "2592000"], /--time-limit must be a number of seconds above 0 and at most 3600/],
        ["more requests than the verifier sends", ["--max-requests", "2000000"], /--max-requests must be a whole number, at least 1 and at most 1000000/],
    ];
    for (const [what, extra, message] of ranges) {
        it(`rejects ${what} before sending anything`, async () => {
            const r = await runCli(["--url", "http://127.0.0.1:1/", "--expect", "v1=100", ...extra]);
            expect(r.code).to.equal(2);
            expect(r.err).to.match(message);
        });
    }

    it("rejects a URL that is not http(s)", async () => {
        const r = await runCli(["--url", "ftp://a.test/", "--expect", "v1=100"]);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(/--url must be an http:\/\/ or https:\/\/ URL/);
    });

    it("rejects a URL with credentials: they would be printed, and are never sent", async () => {
        const r = await runCli(["--url", "http://user:hunter2@a.test/", "--expect", "v1=100"]);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(/--url must not contain credentials/);
        expect(r.err).not.to.include("hunter2");
    });

    it("reads a version named like an object's own properties as any other (constructor=100)", async () => {
        expect(parseExpect("constructor=100")).to.deep.equal({ constructor: 100 });
        expect(parseExpect("toString=40,constructor=60")).to.deep.equal({ toString: 40, constructor: 60 });
        expect(() => parseExpect("constructor=50,constructor=50")).to.throw("names constructor twice");
    });

    it("--help prints usage naming every flag, exit 0", async () => {
        const r = await runCli(["--help"]);
        expect(r.code).to.equal(0);
        for (const flag of ["--url", "--host", "--address", "--expect", "--alpha", "--power", "--min-effect", "--max-requests", "--time-limit", "--timeout-ms", "--concurrency", "--max-error-rate", "--json"]) {
            expect(r.out).to.include(flag);
        }
    });

    it("parses --expect and --address forms", () => {
        expect(parseExpect("v2=100")).to.deep.equal({ v2: 100 });
        expect(parseExpect("v1=100,v2=0")).to.deep.equal({ v1: 100, v2: 0 });
        expect(parseAddress("[::1]:8080")).to.deep.equal({ host: "::1", port: 8080 });
        expect(parseAddress("ingress.local:80")).to.deep.equal({ host: "ingress.local", port: 80 });
        expect(() => parseAddress("127.0.0.1:70000")).to.throw(/host:port/);
    });
});
