import { expect } from "chai";
import { bootstrapOwnership, bootstrapService, decideBootstrap } from "./bootstrap";
import type { KnativeObject } from "./knative";

const want = { namespace: "revs", serviceName: "helloworld-python", stableRevision: "helloworld-python-v1" };
const service = (templateName: string): KnativeObject => ({ metadata: { name: "helloworld-python" }, spec: { template: { metadata: { name: templateName } } } });
const revision = (owner: string): KnativeObject => ({ metadata: { name: "helloworld-python-v1", labels: { "serving.knative.dev/service": owner } } });

describe("bootstrap decision", () => {
    it("creates the Service with the stable template when it is absent", () => {
        expect(decideBootstrap({}, want)).to.deep.equal({ action: "create-service" });
    });

    it("does nothing when the Service and its stable revision exist", () => {
        expect(decideBootstrap({ service: service("helloworld-python-v2"), stableRevision: revision("helloworld-python") }, want)).to.deep.equal({ action: "none" });
    });

    it("waits while Knative is creating the stable revision from the Service's own template", () => {
        expect(decideBootstrap({ service: service("helloworld-python-v1") }, want)).to.deep.equal({ action: "wait-for-revision" });
    });

    it("fails clearly when the Service exists without the stable revision", () => {
        const decision = decideBootstrap({ service: service("helloworld-python-v2") }, want);
        expect(decision.action).to.equal("fail");
        expect((decision as { message: string }).message).to.equal(
            "Service revs/helloworld-python exists but its revision helloworld-python-v1 (stableVersion) does not, so traffic cannot be pinned to it. " +
                "Set stableVersion to a version whose revision exists (kubectl get revisions -n revs -l serving.knative.dev/service=helloworld-python), " +
                "or deploy that version first as candidateVersion with rolloutPercent 0.",
        );
    });

    it("fails when the stable revision belongs to another Service", () => {
        const decision = decideBootstrap({ service: service("helloworld-python-v2"), stableRevision: revision("other") }, want);
        expect(decision).to.have.property("action", "fail");
        expect((decision as { message: string }).message).to.include('belongs to Service "other"').and.include("RevisionNotOwned");
    });

    it("creates the Service with the stable template and 100% pinned to it", () => {
        const template = { metadata: { name: "helloworld-python-v1" }, spec: { containers: [{ image: "r/x:v1@sha256:00" }] } };
        expect(bootstrapService({ namespace: "revs", serviceName: "helloworld-python", stableTemplate: template })).to.deep.equal({
            apiVersion: "serving.knative.dev/v1",
            kind: "Service",
            metadata: { name: "helloworld-python", namespace: "revs" },
            spec: { template, traffic: [{ revisionName: "helloworld-python-v1", percent: 100 }] },
        });
    });

    it("releases only the bootstrap's field ownership, and says when there is none to release", () => {
        const entry = (manager: string) => ({ manager, operation: "Apply", fieldsV1: {} });
        const owned = { metadata: { managedFields: [entry("knative-rollout-bootstrap"), entry("pulumi-kubernetes-1a2b"), entry("knative-rollout-traffic")] } };
        expect(bootstrapOwnership(owned)).to.deep.equal([entry("pulumi-kubernetes-1a2b"), entry("knative-rollout-traffic")]);
        expect(bootstrapOwnership({ metadata: { managedFields: [entry("pulumi-kubernetes-1a2b")] } })).to.equal(undefined);
        expect(bootstrapOwnership(undefined)).to.equal(undefined);
    });
});
