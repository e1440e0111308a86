/**
 * The post-deploy verifier gate as the program registers it: the command it runs, and when it
 * runs at all. (The expected split is the plan's: model/plan.test.ts; the command line itself:
 * verifier/command.test.ts.)
 */
import { expect } from "chai";
import type { RawConfig } from "../model";
import { byType, evaluate, makeAppsDir, one, promiseOf, TYPES } from "../tests/support/program";
import { PROJECT_DIR } from "./trafficVerifier";

const appsDir = makeAppsDir(["v1", "v2"]);
const dev: RawConfig = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "30", registry: "127.0.0.1:5000" };

describe("verifier gate", function () {
    this.timeout(60000);

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

    it("is not registered with verify.gate false: the settings stay for the rollout and npm run verify", async () => {
        const { resources } = await evaluate({ ...dev, verify: '{"address": "127.0.0.1:8080", "gate": false}', awaitReady: "false" }, appsDir);
        expect(byType(resources, TYPES.verifier)).to.have.length(0);
    });

    it("uses verify.url when set, and a traffic change changes the command (so it re-runs)", async () => {
        const verify = '{"url": "http://127.0.0.1:9000/", "maxRequests": 300}';
        const at30 = one((await evaluate({ ...dev, verify }, appsDir)).resources, TYPES.verifier);
        const at60 = one((await evaluate({ ...dev, verify, rolloutPercent: "60" }, appsDir)).resources, TYPES.verifier);
        expect(at30.inputs.create).to.include("--url http://127.0.0.1:9000/ --expect v1=70,v2=30");
        expect(at60.inputs.create).to.include("--expect v1=40,v2=60");
    });
});
