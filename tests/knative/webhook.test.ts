/**
 * The program's manifests judged by Knative Serving's own defaulting and validation code (the
 * webhook's), through tests/knative/validator, along the whole rollout: bootstrap, split,
 * traffic-only change, no-op, promote, next candidate, rollback; on Knative's shipped config and
 * on a hardened one (secure-pod-defaults, a non-default container-name-template).
 *
 * Each step applies what one of the program's field managers sends on top of the stored object,
 * as server-side apply does: the template manager replaces `spec.template`, the traffic manager
 * replaces `spec.traffic`.
 */
import { expect } from "chai";
import { bootstrapService, type RawConfig } from "../../model";
import { evaluate, makeAppsDir, one, TYPES } from "../support/program";
import { admit, buildValidator, Obj, Profile, PROFILES } from "./validate";

const warnings: string[] = [];

/** Runs the webhook's code; returns the stored (defaulted) object or throws its message. */
function webhook(profile: Profile, ...op: ["create", Obj] | ["update", Obj, Obj]): Obj {
    const { stored, warnings: found } = admit(profile, ...op);
    warnings.push(...found);
    return stored;
}

/** Traffic as we send it: Knative's defaulting adds `latestRevision: false` to pinned entries. */
const sent = (traffic: Obj[]) => traffic.map(({ latestRevision, ...t }) => (latestRevision ? { latestRevision, ...t } : t));
const withTemplate = (stored: Obj, template: Obj): Obj => ({ ...stored, spec: { ...stored.spec, template } });
const withTraffic = (stored: Obj, traffic: Obj[]): Obj => ({ ...stored, spec: { ...stored.spec, traffic } });

const appsDir = makeAppsDir(["v1", "v2", "v3"]);
const base: RawConfig = { registry: "127.0.0.1:5000", autoscaling: '{"target": 3, "minScale": 1}' };

async function manifests(raw: RawConfig) {
    const { resources } = await evaluate({ ...base, ...raw }, appsDir);
    const service = one(resources, TYPES.service).inputs;
    const bootstrap = resources.find((r) => r.type === TYPES.bootstrap)?.inputs;
    return {
        template: service.spec.template as Obj,
        traffic: one(resources, TYPES.servicePatch).inputs.spec.traffic as Obj[],
        bootstrap: bootstrap && (bootstrapService(bootstrap) as Obj),
        naive: { apiVersion: service.apiVersion, kind: service.kind, metadata: { name: service.metadata.name, namespace: service.metadata.namespace }, spec: { template: service.spec.template, traffic: one(resources, TYPES.servicePatch).inputs.spec.traffic } },
    };
}

describe("the program's manifests under Knative's webhook code", function () {
    this.timeout(300000);

    before(function () {
        const missing = buildValidator();
        if (missing) {
            if (process.env.CI === "true") throw new Error(`${missing}: CI must run the Knative webhook checks`);
            this.skip();
        }
    });

    it("the validator itself rejects what Knative rejects (traffic summing to 90)", async () => {
        const m = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50" });
        const bad = withTraffic(m.naive, [{ revisionName: "helloworld-python-v1", percent: 40 }, { revisionName: "helloworld-python-v2", percent: 50 }]);
        expect(() => webhook(PROFILES[0], "create", bad)).to.throw(/Traffic targets sum to 90, want 100/);
    });

    for (const profile of PROFILES) {
        describe(`on ${profile.name}`, () => {
            beforeEach(() => warnings.splice(0));
            it("accepts the whole rollout: bootstrap, split, traffic-only change, no-op, promote, next candidate, rollback", async () => {
                const split50 = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50" });
                const split80 = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "80" });
                const promoted = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "100" });
                const next = await manifests({ stableVersion: "v2", candidateVersion: "v3", rolloutPercent: "10" });
                const rollback = await manifests({ stableVersion: "v2", candidateVersion: "v3", rolloutPercent: "0" });

                let stored = webhook(profile, "create", split50.bootstrap!); // the bootstrap's create
                expect(sent(stored.spec.traffic)).to.deep.equal([{ revisionName: "helloworld-python-v1", percent: 100 }]);
                stored = webhook(profile, "update", stored, withTemplate(stored, split50.template)); // template manager
                stored = webhook(profile, "update", stored, withTraffic(stored, split50.traffic)); // traffic manager
                stored = webhook(profile, "update", stored, withTraffic(stored, split80.traffic)); // traffic-only change
                stored = webhook(profile, "update", stored, withTraffic(stored, split80.traffic)); // no-op re-apply
                stored = webhook(profile, "update", stored, withTraffic(stored, promoted.traffic));
                stored = webhook(profile, "update", stored, withTemplate(stored, next.template));
                stored = webhook(profile, "update", stored, withTraffic(stored, next.traffic));
                stored = webhook(profile, "update", stored, withTraffic(stored, rollback.traffic));
                expect(stored.spec.template.metadata.name).to.equal("helloworld-python-v3");
                expect(sent(stored.spec.traffic)).to.deep.equal(rollback.traffic);
                // Knative's defaulting did add cluster-dependent fields to the template at create:
                // the ones a single re-sent manifest would have to restate.
                expect(stored.spec.template.spec.containers[0].name).to.equal(profile.container);
                expect(stored.spec.template.spec.containers[0].readinessProbe).to.be.an("object");
                expect(warnings, "Knative's warnings on our manifests").to.deep.equal([]);
            });

            it("rejects the naive single-manifest re-apply this design avoids", async () => {
                const split50 = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50" });
                const split80 = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "80" });
                let stored = webhook(profile, "create", split50.bootstrap!);
                stored = webhook(profile, "update", stored, withTemplate(stored, split50.template));
                stored = webhook(profile, "update", stored, withTraffic(stored, split50.traffic));
                expect(() => webhook(profile, "update", stored, { ...split80.naive, metadata: stored.metadata })).to.throw(
                    /Saw the following changes without a name change/,
                );
            });

            it("rejects a template change under an unchanged revision name (what TemplateGuard stops earlier)", async () => {
                const before = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50" });
                const changed = await manifests({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50", target: "Knative" });
                let stored = webhook(profile, "create", before.bootstrap!);
                stored = webhook(profile, "update", stored, withTemplate(stored, before.template));
                expect(() => webhook(profile, "update", stored, withTemplate(stored, changed.template))).to.throw(
                    /Saw the following changes without a name change/,
                );
            });

            it("accepts a candidate-only Service created straight from the program's template", async () => {
                const only = await manifests({ candidateVersion: "v2" });
                let stored = webhook(profile, "create", { ...only.naive, spec: { template: only.template } });
                stored = webhook(profile, "update", stored, withTraffic(stored, only.traffic));
                expect(sent(stored.spec.traffic)).to.deep.equal(only.traffic);
            });
        });
    }
});
