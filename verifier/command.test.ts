/** The gate's command line: the CLI's own flags (round-tripped through its parser), quoted for /bin/sh. */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { parseCli } from "./cli";
import { shellQuote, verifyArgs, verifyCommandLine } from "./command";

const gate = {
    url: "http://helloworld-python.revs.example.com",
    address: "192.0.2.10:80",
    host: "helloworld-python.revs.example.com",
    expect: [["v1", 70], ["v2", 30]] as [string, number][],
    maxRequests: 2000,
    timeLimitSeconds: 120,
    concurrency: 8,
};

describe("verifier command line", () => {
    it("quotes words for the shell so that a URL or host cannot inject a command", () => {
        for (const word of ["http://a.example.com/x?y=1&z=2", "it's", "$(reboot)", "a b", "plain-word_1.2:80"]) {
            const echoed = spawnSync("/bin/sh", ["-c", `printf %s ${shellQuote(word)}`], { encoding: "utf8" });
            expect(echoed.stdout).to.equal(word);
        }
    });

    it("builds the verifier's command line from the stack's budget and the expected split", () => {
        expect(verifyCommandLine(gate)).to.equal(
            "npm run --silent verify -- --url http://helloworld-python.revs.example.com --address 192.0.2.10:80 " +
                "--host helloworld-python.revs.example.com --expect v1=70,v2=30 --max-requests 2000 --time-limit 120 --concurrency 8",
        );
    });

    it("uses only flags the CLI parses, meaning what the gate means (a round trip)", () => {
        const parsed = parseCli(verifyArgs(gate));
        expect(parsed).to.deep.equal({
            help: false,
            json: false,
            options: {
                url: gate.url,
                address: gate.address,
                host: gate.host,
                expect: { v1: 70, v2: 30 },
                maxRequests: 2000,
                timeLimitSeconds: 120,
                concurrency: 8,
            },
        });
    });
});
