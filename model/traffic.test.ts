import { expect } from "chai";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import { TAGS } from "./contract";
import { trafficTable } from "./traffic";

const stable = "helloworld-python-v1";
const candidate = "helloworld-python-v2";

describe("traffic table", () => {
    for (const p of [0, 1, 50, 99, 100]) {
        it(`splits ${100 - p}/${p} between the pinned stable and candidate revisions`, () => {
            const table = trafficTable({ stableRevision: stable, candidateRevision: candidate, candidatePercent: p });
            expect(table).to.deep.equal([
                { revisionName: stable, percent: 100 - p, tag: TAGS.stable },
                { revisionName: candidate, percent: p, tag: TAGS.candidate },
                { latestRevision: true, percent: 0, tag: TAGS.latest },
            ]);
            expect(table.reduce((sum, t) => sum + (t.percent ?? 0), 0)).to.equal(100);
        });
    }

    it("sends everything to the candidate when there is no stable revision", () => {
        expect(trafficTable({ candidateRevision: candidate, candidatePercent: 100 })).to.deep.equal([
            { revisionName: candidate, percent: 100, tag: "candidate" },
            { latestRevision: true, percent: 0, tag: "latest" },
        ]);
    });

    it("keeps the old release-mode tags: current, candidate, latest", () => {
        expect(TAGS).to.deep.equal({ stable: "current", candidate: "candidate", latest: "latest" });
    });

    for (const bad of [-1, 101, 50.5, NaN]) {
        it(`refuses candidatePercent ${bad}`, () => {
            expect(() => trafficTable({ stableRevision: stable, candidateRevision: candidate, candidatePercent: bad })).to.throw(RangeError);
        });
    }

    it("refuses a partial share without a stable revision", () => {
        expect(() => trafficTable({ candidateRevision: candidate, candidatePercent: 40 })).to.throw(/without a stable revision/);
    });

    it("produces a table Knative's published schema accepts", () => {
        const svc = new Service({
            metadata: { name: "helloworld-python", namespace: "revs" },
            spec: {
                template: { spec: { containers: [{ image: "r/x@sha256:" + "0".repeat(64) }] } },
                traffic: trafficTable({ stableRevision: stable, candidateRevision: candidate, candidatePercent: 30 }),
            },
        });
        expect(() => svc.validate()).not.to.throw();
    });
});
