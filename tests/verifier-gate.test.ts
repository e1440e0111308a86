/**
 * The post-deploy verifier gate as the program registers it: which split it expects, the command
 * it runs, and when it runs at all.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { DEFAULTS, RawConfig } from "../components/config";
import { DEFAULTS as VERIFIER_DEFAULTS } from "../verifier/verify";
import { expectedSplit, PROJECT_DIR, shellQuote, verifierCommand } from "../components/trafficVerifier";
import { byType, evaluate, makeAppsDir, one, promiseOf, TYPES } from "./mocks";

const appsDir = makeAppsDir(["v1", "v2"]);
const dev: RawConfig = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "30", registry: "127.0.0.1:5000" };
const budget = { maxRequests: 2000, timeLimitSeconds: 120, concurrency: 8 };

describe("verifier gate", function () {
    this.timeout(60000);

    const splits: [string, Parameters<typeof expectedSplit>[0], Record<string, number>][] = [
        ["a 70/30 split", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: 30 }, { v1: 70, v2: 30 }],
        ["a split with nothing on the candidate", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: 0 }, { v1: 100, v2: 0 }],
        ["a promoted candidate", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: 100 }, { v1: 0, v2: 100 }],
        ["a candidate alone", { candidateVersion: "v2", rolloutPercent: 100 }, { v2: 100 }],
    ];
    for (const [what, plan, want] of splits) {
        it(`expects ${what} as ${JSON.stringify(want)}`, () => {
            expect(expectedSplit(plan)).to.deep.equal(want);
        });
    }

    it("quotes words for the shell so that a URL or host cannot inject a command", () => {
        for (const word of ["http://a.example.com/x?y=1&z=2", "it's", "$(reboot)", "a b", "plain-word_1.2:80"]) {
            const echoed = spawnSync("/bin/sh", ["-c", `printf %s ${shellQuote(word)}`], { encoding: "utf8" });
            expect(echoed.stdout).to.equal(word);
        }
    });

    it("builds the verifier's command line from the stack's budget and the expected split", () => {
        const cmd = verifierCommand(
            { ...budget, address: "192.0.2.10:80", host: "helloworld-python.revs.example.com" },
            "http://helloworld-python.revs.example.com",
            { v1: 70, v2: 30 },
        );
        expect(cmd).to.equal(
            "npm run --silent verify -- --url http://helloworld-python.revs.example.com --address 192.0.2.10:80 " +
                "--host helloworld-python.revs.example.com --expect v1=70,v2=30 --max-requests 2000 --time-limit 120 --concurrency 8",
        );
    });

    it("budgets a stack's verifier as the verifier's own defaults do", () => {
        for (const [key, value] of Object.entries(DEFAULTS.verify)) {
            expect(value, key).to.equal(VERIFIER_DEFAULTS[key as keyof typeof VERIFIER_DEFAULTS]);
        }
    });

    it("is not registered unless verify is configured", async () => {
        const { resources } = await evaluate(dev, appsDir);
        expect(byType(resources, TYPES.verifier)).to.have.length(0);
    });

    it("runs after the readiness gate, against the Service's URL, re-running when an image changes", async () => {
        const { resources, outputs } = await evaluate({ ...dev, verify: '{"address": "127.0.0.1:8080", "maxRequests": 400}' }, appsDir);
        const run = one(resources, TYPES.verifier);
        // The mocked gate reports the Service's status URL as http://<service>.<namespace>.example.com.
        expect(run.inputs.create).to.equal(
            "npm run --silent verify -- --url http://helloworld-python.revs.example.com --address 127.0.0.1:8080 " +
                "--expect v1=70,v2=30 --max-requests 400 --time-limit 120 --concurrency 8",
        );
        expect(run.inputs.dir).to.equal(PROJECT_DIR);
        expect(run.inputs.triggers).to.have.length(2);
        expect(run.inputs.triggers).to.deep.equal([await promiseOf(outputs.images.v1), await promiseOf(outputs.images.v2)]);
        // Registered last: after the gate, which is registered after everything it waits for.
        const order = resources.map((r) => r.type);
        expect(order.indexOf(TYPES.verifier)).to.be.greaterThan(order.indexOf(TYPES.gate));
    });

    it("uses verify.url when set, and a traffic change changes the command (so it re-runs)", async () => {
        const verify = '{"url": "http://127.0.0.1:9000/", "maxRequests": 300}';
        const at30 = one((await evaluate({ ...dev, verify }, appsDir)).resources, TYPES.verifier);
        const at60 = one((await evaluate({ ...dev, verify, rolloutPercent: "60" }, appsDir)).resources, TYPES.verifier);
        expect(at30.inputs.create).to.include("--url http://127.0.0.1:9000/ --expect v1=70,v2=30");
        expect(at60.inputs.create).to.include("--expect v1=40,v2=60");
    });
});
