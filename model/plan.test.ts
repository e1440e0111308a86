import { expect } from "chai";
import { parseConfig, type RawConfig } from "./config";
import { IMAGE_BUILT_BY_STACK, planRollout, templateFor } from "./plan";

const ctx = { versionExists: () => true };
const plan = (raw: RawConfig) => planRollout(parseConfig({ registry: "127.0.0.1:5000", ...raw }, ctx));

describe("rollout plan", () => {
    it("computes the revisions, the table and the expected split once, from one config", () => {
        const p = plan({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "30" });
        expect(p.candidate).to.deep.equal({ version: "v2", revision: "helloworld-python-v2" });
        expect(p.stable).to.deep.equal({ version: "v1", revision: "helloworld-python-v1" });
        expect(p.traffic.map((t) => [t.revisionName ?? "latest", t.percent])).to.deep.equal([
            ["helloworld-python-v1", 70],
            ["helloworld-python-v2", 30],
            ["latest", 0],
        ]);
        expect(p.expectedSplit).to.deep.equal([["v1", 70], ["v2", 30]]);
    });

    const splits: [string, RawConfig, [string, number][]][] = [
        ["nothing on the candidate", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "0" }, [["v1", 100], ["v2", 0]]],
        ["a promoted candidate", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "100" }, [["v1", 0], ["v2", 100]]],
        ["a candidate alone", { candidateVersion: "v2" }, [["v2", 100]]],
        ["a version named constructor", { stableVersion: "v1", candidateVersion: "constructor", rolloutPercent: "10" }, [["v1", 90], ["constructor", 10]]],
        ["rolloutPercent -0 (read as 0)", { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "-0" }, [["v1", 100], ["v2", 0]]],
    ];
    for (const [what, raw, want] of splits) {
        it(`expects ${what} as ${JSON.stringify(want)}`, () => {
            const p = plan(raw);
            expect(p.expectedSplit).to.deep.equal(want);
            expect(p.traffic.every((t) => !Object.is(t.percent, -0))).to.equal(true);
        });
    }

    it("says what the stack says about itself: its environment, whether it is production, its steps", () => {
        const p = plan({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "10", environment: "prod", allowedRolloutSteps: "[0, 10, 100]" });
        expect(p).to.include({ environment: "prod", production: true });
        expect(p.stackMetadata).to.deep.equal({
            labels: { "knative-rollout.dev/environment": "prod" },
            annotations: { "knative-rollout.dev/allowed-rollout-steps": "0,10,100" },
        });
        expect(plan({ candidateVersion: "v2" }).stackMetadata.annotations).to.deep.equal({});
    });

    it("carries every template with a stand-in for the image, the same template the Service and bootstrap get", () => {
        const p = plan({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "10", autoscaling: '{"minScale": 1}', registryUsername: "ci", registryPassword: "secret" });
        expect(Object.keys(p.templates)).to.deep.equal(["v1", "v2"]);
        expect(p.templates.v2).to.deep.equal(templateFor(p, p.candidate, IMAGE_BUILT_BY_STACK));
        expect(p.templates.v2.metadata.annotations).to.deep.equal({ "autoscaling.knative.dev/min-scale": "1" });
        expect(p.templates.v1.spec.imagePullSecrets).to.deep.equal([{ name: "helloworld-python-registry" }]);
        expect(templateFor(p, p.stable!, "img@sha256:x").spec.containers[0].image).to.equal("img@sha256:x");
    });

    it("names an image pull Secret only with registry credentials", () => {
        expect(plan({ candidateVersion: "v2" })).not.to.have.property("imagePullSecret");
        expect(plan({ candidateVersion: "v2", registryUsername: "ci", registryPassword: "secret" }).imagePullSecret).to.equal("helloworld-python-registry");
    });
});
