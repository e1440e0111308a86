/**
 * Guardrails, ownership and recovery through the real Pulumi CLI against the real API server with
 * Knative's webhook and controller (e2e/up.sh's env file). Nothing here needs a pod to run, so it
 * runs with awaitReady off; each case has its own stack and namespace, left for the harness's
 * wiped cluster to clear (only case 2 destroys: what destroy leaves is what it checks).
 *
 *   1. a production change that breaks a rule is refused by `pulumi preview --policy-pack` and by
 *      `pulumi up --policy-pack` before anything changes: state, Service and registry untouched;
 *   2. a namespace the stack did not create is refused; `useExistingNamespace` deploys into it
 *      as it is, and `pulumi destroy` leaves it and what it held;
 *   3. nothing the bootstrap set stays live after the Service resource's own apply: an annotation
 *      dropped after a bootstrap is gone from the next revision;
 *   4. the bootstrap re-checks the cluster on every run: a Service deleted out of band is
 *      re-created from the stable revision by the next plain `pulumi up`.
 */
import { expect } from "chai";
import { FIELD_MANAGERS, revisionName } from "../model";
import { makeAppVersion, PulumiStack, requireHarnessEnv, scratchProject, sh } from "./harness";

requireHarnessEnv();
const SVC = "helloworld-python";
const rev = (v: string) => revisionName(SVC, v);

function kubectl(dir: string, ...args: string[]): string {
    const r = sh("kubectl", args, dir);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed:\n${r.out}`);
    return r.stdout;
}

/** A fresh stack of a fresh scratch project, on the harness registry, not waiting for pods; its namespace starts empty. */
function freshStack(name: string, namespace: string): { dir: string; stack: PulumiStack } {
    const dir = scratchProject();
    // What an earlier, interrupted run left behind would not be this stack's.
    sh("kubectl", ["delete", "namespace", namespace, "--ignore-not-found", "--wait=true", "--timeout=120s"], dir);
    const stack = new PulumiStack(dir, name);
    stack.init();
    stack.useHarnessRegistry();
    stack.config("namespace", namespace);
    stack.config("awaitReady", "false");
    stack.config("stableVersion", "v1");
    stack.config("candidateVersion", "v2");
    return { dir, stack };
}

/**
 * The stack's resources as the state records them, what "no resource changed" compares: each
 * resource and the inputs it was last applied with (a refresh may update what it read back).
 */
function stateResources(stack: PulumiStack): Record<string, unknown> {
    // Decrypted: every write of the state encrypts its secrets afresh.
    const exported = JSON.parse(stack.ok("stack", "export", "--show-secrets").stdout);
    // By URN (a refresh may reorder them), with the inputs of what the program sends; a refresh
    // rewrites the kubernetes provider's record of what it read back, which the stack did not change.
    return Object.fromEntries(
        (exported.deployment.resources ?? []).map((r: any) => [r.urn, r.type.startsWith("kubernetes:") ? "kubernetes resource" : r.inputs]),
    );
}

describe("real engine: guardrails, ownership and recovery", function () {
    this.timeout(30 * 60 * 1000);

    it("1. a production version without minScale, with a new image, is refused in preview and in up, and nothing changes", () => {
        const { dir, stack } = freshStack("guard-prod", "guard-prod");
        // A repository of its own in the harness registry: "no v3 was pushed" then means something.
        stack.config("serviceName", "guard-svc");
        stack.config("environment", "production");
        stack.ok("config", "set-all", "--path", ...[0, 10, 25, 50, 100].flatMap((p, i) => ["--plaintext", `knative-rollout:allowedRolloutSteps[${i}]=${p}`]));
        stack.config("rolloutPercent", "10");
        stack.ok("config", "set", "--path", "knative-rollout:autoscaling.minScale", "1");
        stack.ok("up", "--yes", "--policy-pack", "policy");
        const before = { state: stateResources(stack), service: JSON.parse(kubectl(dir, "get", "ksvc", "-n", "guard-prod", "guard-svc", "-o", "json")) };

        // The next version: a new app (a new image to build), and minScale dropped.
        makeAppVersion(dir, "v2", "v3");
        stack.config("stableVersion", "v2");
        stack.config("candidateVersion", "v3");
        stack.ok("config", "rm", "--path", "knative-rollout:autoscaling.minScale");
        const preview = stack.run("preview", "--policy-pack", "policy");
        console.log(preview.out.split("\n").filter((l) => /mandatory|advisory|can't run/.test(l)).map((l) => `      | ${l.trim()}`).join("\n"));
        expect(preview.code).not.to.equal(0);
        expect(preview.out).to.include("[mandatory]  production-requires-min-scale");
        expect(preview.out).not.to.include("can't run policy");
        for (const args of [["up", "--yes"], ["up", "--yes", "--skip-preview"]]) {
            const up = stack.run(...args, "--policy-pack", "policy");
            expect(up.code, args.join(" ")).not.to.equal(0);
            expect(up.out).to.include("production-requires-min-scale");
            expect(stateResources(stack), `${args.join(" ")}: the resources in the state`).to.deep.equal(before.state);
            const service = JSON.parse(kubectl(dir, "get", "ksvc", "-n", "guard-prod", "guard-svc", "-o", "json"));
            expect(service.metadata.generation, `${args.join(" ")}: the Service`).to.equal(before.service.metadata.generation);
            expect(service.spec).to.deep.equal(before.service.spec);
            // Not even the new image was built and pushed.
            const tags = sh("curl", ["-s", "--cacert", process.env.E2E_REGISTRY_CA!, "-u", `${process.env.E2E_REGISTRY_USER}:${process.env.E2E_REGISTRY_PASSWORD}`, `https://${process.env.E2E_REGISTRY}/v2/guard-svc/tags/list`], dir);
            expect(JSON.parse(tags.stdout).tags).to.have.members(["v1", "v2"]);
        }
    });

    it("2. refuses a namespace it did not create; with useExistingNamespace deploys into it as it is and destroy leaves it", () => {
        const { dir, stack } = freshStack("guard-ns", "team-a");
        kubectl(dir, "create", "namespace", "team-a");
        kubectl(dir, "-n", "team-a", "create", "configmap", "keep-me", "--from-literal=owner=team-a");
        const refused = stack.run("preview");
        expect(refused.code).not.to.equal(0);
        expect(refused.out).to.include('namespace "team-a" already exists and this stack did not create it');
        expect(refused.out).to.include("pulumi config set useExistingNamespace true");
        const refusedUp = stack.run("up", "--yes", "--skip-preview");
        expect(refusedUp.code).not.to.equal(0);
        expect(kubectl(dir, "get", "ksvc", "-n", "team-a", "-o", "name")).to.equal("");

        stack.config("useExistingNamespace", "true");
        stack.ok("up", "--yes");
        expect(kubectl(dir, "get", "ksvc", "-n", "team-a", "-o", "name").trim()).to.equal(`service.serving.knative.dev/${SVC}`);
        const namespace = JSON.parse(kubectl(dir, "get", "namespace", "team-a", "-o", "json"));
        expect(namespace.metadata.annotations?.["knative-rollout.dev/owner"]).to.equal(undefined);
        stack.ok("destroy", "--yes");
        expect(kubectl(dir, "get", "namespace", "team-a", "-o", "jsonpath={.status.phase}")).to.equal("Active");
        expect(kubectl(dir, "-n", "team-a", "get", "configmap", "keep-me", "-o", "jsonpath={.data.owner}")).to.equal("team-a");

        // And the system namespaces are refused outright, before anything is sent.
        stack.config("namespace", "kube-system");
        const system = stack.run("preview");
        expect(system.code).not.to.equal(0);
        expect(system.out).to.include('namespace "kube-system" is a system namespace');
        kubectl(dir, "delete", "namespace", "team-a", "--wait=false");
    });

    it("3. an annotation set at bootstrap and dropped later is gone from the next revision: the bootstrap owns nothing", () => {
        const { dir, stack } = freshStack("guard-own", "guard-own");
        stack.ok("config", "set", "--path", "knative-rollout:autoscaling.minScale", "1");
        stack.config("rolloutPercent", "10");
        stack.ok("up", "--yes");
        const managers = (): string[] =>
            JSON.parse(kubectl(dir, "get", "ksvc", "-n", "guard-own", SVC, "-o", "json", "--show-managed-fields")).metadata.managedFields.map((m: any) => m.manager);
        console.log(`      field managers after the first up: ${JSON.stringify(managers())}`);
        // The gate released the bootstrap's fields once the Service resource had applied its own.
        expect(managers()).to.include(FIELD_MANAGERS.traffic);
        expect(managers()).not.to.include(FIELD_MANAGERS.bootstrap);

        makeAppVersion(dir, "v2", "v3");
        stack.config("stableVersion", "v2");
        stack.config("candidateVersion", "v3");
        stack.ok("config", "rm", "--path", "knative-rollout:autoscaling.minScale");
        stack.ok("up", "--yes");
        const live = JSON.parse(kubectl(dir, "get", "ksvc", "-n", "guard-own", SVC, "-o", "json"));
        expect(live.spec.template.metadata.name).to.equal(rev("v3"));
        expect(live.spec.template.metadata.annotations ?? {}).not.to.have.property("autoscaling.knative.dev/min-scale");
        const revision = JSON.parse(kubectl(dir, "get", "revision", "-n", "guard-own", rev("v3"), "-o", "json"));
        expect(revision.metadata.annotations ?? {}).not.to.have.property("autoscaling.knative.dev/min-scale");
    });

    it("4. a Service deleted out of band is re-created from the stable revision by the next plain `pulumi up`", () => {
        const { dir, stack } = freshStack("guard-gone", "guard-gone");
        stack.config("rolloutPercent", "20");
        const first = stack.ok("up", "--yes");
        const deleted = sh("kubectl", ["delete", "ksvc", "-n", "guard-gone", SVC, "--wait=true"], dir);
        const r = stack.ok("up", "--yes");
        console.log(`      first up ${first.seconds.toFixed(1)} s, out-of-band delete ${deleted.seconds.toFixed(1)} s, recovering up ${r.seconds.toFixed(1)} s`);
        console.log(r.out.split("\n").filter((l) => /bootstrap|Service |ServicePatch|refresh|updat|creat/.test(l) && /~|\+|-/.test(l.slice(0, 4))).map((l) => `      | ${l.trim()}`).slice(0, 12).join("\n"));
        const live = JSON.parse(kubectl(dir, "get", "ksvc", "-n", "guard-gone", SVC, "-o", "json"));
        expect(live.spec.template.metadata.name).to.equal(rev("v2"));
        expect(live.spec.traffic.map((t: any) => [t.revisionName ?? "latest", t.percent ?? 0])).to.deep.equal([[rev("v1"), 80], [rev("v2"), 20], ["latest", 0]]);
        stack.ok("preview", "--expect-no-changes");
    });
});
