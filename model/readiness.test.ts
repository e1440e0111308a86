import { expect } from "chai";
import type { KnativeObject } from "./knative";
import { assessReadiness, podProblems, sameTraffic } from "./readiness";
import { trafficTable } from "./traffic";

const table = trafficTable({ stableRevision: "svc-v1", candidateRevision: "svc-v2", candidatePercent: 20 });
const ready = { type: "Ready", status: "True" };
const svc = (over: Partial<KnativeObject> = {}): KnativeObject => ({
    metadata: { name: "svc", generation: 3 },
    spec: { traffic: table.map((t) => ({ ...t })) },
    status: { observedGeneration: 3, conditions: [ready] },
    ...over,
});
const rev = (status: string, reason?: string, message?: string): KnativeObject => ({
    status: { conditions: [{ type: "Ready", status, reason, message }] },
});

describe("readiness assessment", () => {
    it("is ready when the Service and every pinned revision are Ready with our table", () => {
        expect(assessReadiness("revs/svc", svc(), { "svc-v1": rev("True"), "svc-v2": rev("True") }, table)).to.deep.equal({ ready: true, problems: [] });
    });

    it("names each revision that is not Ready, and why", () => {
        const report = assessReadiness(
            "revs/svc",
            svc({ status: { observedGeneration: 3, conditions: [{ type: "Ready", status: "Unknown" }] } }),
            { "svc-v1": rev("True"), "svc-v2": rev("Unknown", "Deploying", "waiting for pods"), "svc-v3": undefined },
            table,
        );
        expect(report.ready).to.equal(false);
        expect(report.problems).to.deep.equal([
            "Revision svc-v2 is not ready: Deploying: waiting for pods",
            "Revision svc-v3 does not exist",
        ]);
    });

    it("reports a failed revision as failed", () => {
        const report = assessReadiness("revs/svc", svc(), { "svc-v1": rev("True"), "svc-v2": rev("False", "ContainerMissing", "image not found") }, table);
        expect(report.problems).to.deep.equal(["Revision svc-v2 is failed: ContainerMissing: image not found"]);
    });

    it("is not ready while Knative has not reconciled the latest generation", () => {
        const report = assessReadiness("revs/svc", svc({ status: { observedGeneration: 2, conditions: [ready] } }), {}, table);
        expect(report.problems).to.deep.equal(["Service revs/svc generation 3 is not reconciled yet (observed 2)"]);
    });

    it("notices when the live traffic is not the table this run applied", () => {
        const other = trafficTable({ stableRevision: "svc-v1", candidateRevision: "svc-v2", candidatePercent: 50 });
        const report = assessReadiness("revs/svc", svc({ spec: { traffic: other } }), {}, table);
        expect(report.ready).to.equal(false);
        expect(report.problems[0]).to.match(/^Service revs\/svc has spec.traffic .* not the table this run applied$/);
    });

    it("reports a missing Service", () => {
        expect(assessReadiness("revs/svc", undefined, {}, table)).to.deep.equal({ ready: false, problems: ["Service revs/svc does not exist"] });
    });

    it("compares traffic on what we set, treating a missing percent as 0", () => {
        expect(sameTraffic([{ revisionName: "a", percent: 100 }, { latestRevision: true, tag: "latest" }], [
            { revisionName: "a", percent: 100 },
            { latestRevision: true, percent: 0, tag: "latest" },
        ])).to.equal(true);
        expect(sameTraffic([{ revisionName: "a", percent: 100 }], [{ revisionName: "b", percent: 100 }])).to.equal(false);
        expect(sameTraffic([{ revisionName: "a", percent: 50 }, { revisionName: "b", percent: 50 }], [{ revisionName: "a", percent: 40 }, { revisionName: "b", percent: 60 }])).to.equal(false);
    });

    it("treats Knative's defaulted latestRevision: false as what we sent", () => {
        expect(sameTraffic([{ revisionName: "a", latestRevision: false, percent: 100, tag: "current" }], [{ revisionName: "a", percent: 100, tag: "current" }])).to.equal(true);
        expect(sameTraffic([{ latestRevision: true, percent: 100 }], [{ latestRevision: false, percent: 100 }])).to.equal(false);
    });
});

describe("pod problems: why a revision's pods are not Ready", () => {
    const pod = (name: string, ...containerStatuses: NonNullable<NonNullable<Parameters<typeof podProblems>[1][number]["status"]>["containerStatuses"]>) => ({
        metadata: { name },
        status: { containerStatuses },
    });

    it("names an image that cannot be pulled, with the runtime's message", () => {
        expect(
            podProblems("svc-v3", [
                pod("svc-v3-deployment-1", {
                    name: "user-container",
                    state: { waiting: { reason: "ErrImagePull", message: "failed to pull: no basic auth credentials" } },
                }),
            ]),
        ).to.deep.equal(["Revision svc-v3, pod svc-v3-deployment-1, container user-container: ErrImagePull: failed to pull: no basic auth credentials"]);
    });

    it("names a container that keeps exiting, with its exit code", () => {
        expect(
            podProblems("svc-v4", [
                pod("p", {
                    name: "user-container",
                    state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container" } },
                    lastState: { terminated: { exitCode: 3, reason: "Error" } },
                }),
            ]),
        ).to.deep.equal(["Revision svc-v4, pod p, container user-container: CrashLoopBackOff: back-off 10s restarting failed container; last exited with code 3 (Error)"]);
    });

    it("says nothing of containers that are starting or running", () => {
        expect(
            podProblems("svc-v2", [
                pod("p", { name: "user-container", state: { waiting: { reason: "ContainerCreating" } } }, { name: "queue-proxy", state: {} }),
                { metadata: { name: "pending" } },
            ]),
        ).to.deep.equal([]);
    });
});
