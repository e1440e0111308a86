import { expect } from "chai";
import { namespaceClaimProblem, type NamespaceClaim } from "./namespace";

const owner = "knative-rollout/dev";
const create: NamespaceClaim = { name: "revs", mode: "create", owner };
const existing: NamespaceClaim = { name: "team-a", mode: "existing", owner };
const live = (annotations?: Record<string, string>) => ({ metadata: { annotations } });

describe("namespace claim", () => {
    it("creates a namespace that does not exist", () => {
        expect(namespaceClaimProblem({}, create, undefined)).to.equal(undefined);
    });

    it("refuses to take over a namespace that exists and that this stack did not create", () => {
        expect(namespaceClaimProblem({}, create, live())).to.include('namespace "revs" already exists and this stack did not create it')
            .and.include("pulumi config set useExistingNamespace true");
        expect(namespaceClaimProblem({}, create, live({ "knative-rollout.dev/owner": "knative-rollout/prod" }))).to.include("(owned by stack knative-rollout/prod)");
    });

    it("keeps a namespace this stack claimed before, or one that carries its own owner mark", () => {
        expect(namespaceClaimProblem(create, create, live())).to.equal(undefined);
        expect(namespaceClaimProblem({}, create, live({ "knative-rollout.dev/owner": owner }))).to.equal(undefined);
    });

    it("moving to another namespace claims the new one afresh", () => {
        expect(namespaceClaimProblem(create, { ...create, name: "other" }, live())).to.include('namespace "other" already exists');
    });

    it("uses an existing namespace as it is, and refuses one that does not exist", () => {
        expect(namespaceClaimProblem({}, existing, live())).to.equal(undefined);
        expect(namespaceClaimProblem({}, existing, undefined)).to.include('namespace "team-a" does not exist');
    });

    it("refuses to let go of a namespace it created by switching to useExistingNamespace (Pulumi would delete it)", () => {
        expect(namespaceClaimProblem(create, { ...create, mode: "existing" }, live())).to.include("with useExistingNamespace Pulumi would delete it");
    });
});
