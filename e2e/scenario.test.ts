/**
 * The rollout through the real Pulumi CLI, the real kubernetes and docker-build providers and
 * Pulumi's dynamic provider host, against a real kube-apiserver running Knative Serving's own
 * webhook and controller (started by e2e/up.sh; its env file must be sourced).
 *
 *   E2E_SCENARIO=full  steps 1-7 of issue 8 (default)
 *   E2E_SCENARIO=basic steps 1-3 (the run on the hardened Knative config)
 *
 * No pod runs on this control plane (no kubelet): Revisions are created by Knative's controller
 * and never become Ready, so the stack runs with awaitReady=false except in step 7, which proves
 * the readiness gate's failure and recovery. Nothing here fakes readiness.
 */
import { expect } from "chai";
import { sameTraffic, trafficTable, type TrafficTarget } from "../model";
import { makeAppVersion, PulumiStack, requireHarnessEnv, Run, scratchProject, sh } from "./harness";

const SCENARIO = process.env.E2E_SCENARIO ?? "full";
const NS = "revs";
const SVC = "helloworld-python";
const rev = (v: string) => `${SVC}-${v}`;
requireHarnessEnv();
const timings: { what: string; seconds: number }[] = [];

describe(`real engine: the rollout (${SCENARIO})`, function () {
    this.timeout(30 * 60 * 1000);
    const dir = scratchProject();
    const stack = new PulumiStack(dir, "e2e");
    const timed = (what: string, r: Run) => (timings.push({ what, seconds: r.seconds }), r);
    const pulumi = (what: string, ...args: string[]) => timed(what, stack.run(...args));
    const ok = (what: string, ...args: string[]) => timed(what, stack.ok(...args));
    const config = (key: string, value: string, secret = false) => stack.config(key, value, secret);
    const up = (what: string) => ok(what, "up", "--yes", "--skip-preview");
    const kubectl = (...args: string[]) => {
        const r = sh("kubectl", args, dir);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed:\n${r.out}`);
        return r.stdout;
    };
    const liveService = () => JSON.parse(kubectl("get", "ksvc", "-n", NS, SVC, "-o", "json"));
    const revisions = () =>
        JSON.parse(kubectl("get", "revisions", "-n", NS, "-o", "json")).items.map((r: any) => r.metadata.name).sort();
    const outputs = () => JSON.parse(ok("stack output", "stack", "output", "--json", "--show-secrets").stdout);
    const expectTraffic = (want: TrafficTarget[]) => {
        const live = liveService().spec.traffic;
        expect(sameTraffic(live, want), `live spec.traffic ${JSON.stringify(live)}`).to.equal(true);
    };
    const table = (stable: string, candidate: string, p: number) =>
        trafficTable({ stableRevision: rev(stable), candidateRevision: rev(candidate), candidatePercent: p });

    before(() => {
        stack.init();
        stack.useHarnessRegistry();
    });

    it("1. from nothing, one `pulumi up` bootstraps both pinned revisions and the 50/50 split", () => {
        // With its preview, as a user runs it: the preview of a fresh stack must pass too.
        ok("1. first pulumi up, preview included (bootstrap, build, push)", "up", "--yes");
        expect(revisions()).to.deep.equal([rev("v1"), rev("v2")]);
        expectTraffic(table("v1", "v2", 50));
        const svc = liveService();
        expect(svc.spec.template.metadata.name).to.equal(rev("v2"));
        expect(svc.spec.template.spec.containers[0].image).to.match(/:v2@sha256:[0-9a-f]{64}$/);
        expect(svc.metadata.labels["knative-rollout.dev/environment"]).to.equal("dev");
        // spec.traffic belongs to the traffic patch's field manager, the template to the Service's.
        const managed = JSON.parse(kubectl("get", "ksvc", "-n", NS, SVC, "-o", "json", "--show-managed-fields")).metadata.managedFields;
        const owner = (field: string) => managed.filter((m: any) => m.operation === "Apply" && JSON.stringify(m.fieldsV1?.["f:spec"] ?? {}).includes(field)).map((m: any) => m.manager);
        expect(owner('"f:traffic"')).to.deep.equal(["knative-rollout-traffic"]);
        expect(owner('"f:template"')).to.have.length(1).and.not.include("knative-rollout-traffic");
        const out = outputs();
        expect(out.traffic).to.deep.equal(table("v1", "v2", 50));
        expect(out.candidateRevision).to.equal(rev("v2"));
        expect(out.stableRevision).to.equal(rev("v1"));
    });

    it("2. a traffic-only change previews as spec.traffic alone and is accepted by Knative", () => {
        const before = { images: outputs().images, revisions: revisions() };
        config("rolloutPercent", "80");
        const preview = ok("2. pulumi preview (traffic-only)", "preview", "--json");
        // A step's type is the last `$`-separated part of its URN's type (parents come first).
        const typeOf = (s: any) => s.urn.split("::")[2].split("$").pop();
        // Refresh steps are reads (Pulumi.yaml refreshes before every run), not changes.
        const steps = JSON.parse(preview.stdout).steps.filter((s: any) => s.op !== "same" && s.op !== "refresh");
        const changed = steps.map((s: any) => `${s.op} ${typeOf(s)}`);
        console.log(`      preview steps: ${JSON.stringify(changed)}`);
        const kubernetes = steps.filter((s: any) => typeOf(s).startsWith("kubernetes:"));
        expect(kubernetes.map((s: any) => `${s.op} ${typeOf(s)}`)).to.deep.equal(["update kubernetes:serving.knative.dev/v1:ServicePatch"]);
        const diffKeys = Object.keys(kubernetes[0].detailedDiff ?? {});
        console.log(`      its diff: ${JSON.stringify(diffKeys)}`);
        expect(diffKeys).to.have.length.above(0);
        expect(diffKeys.every((k) => k.startsWith("spec.traffic"))).to.equal(true);
        // Besides the patch: the gate that checks it, and the rollout plan (the component's inputs) the policy pack judges.
        expect(changed.filter((c: string) => !c.endsWith("ReadinessGate") && !c.endsWith(":Stack") && !c.endsWith(":KnativeRollout"))).to.deep.equal(["update kubernetes:serving.knative.dev/v1:ServicePatch"]);
        const diff = ok("2. pulumi preview --diff", "preview", "--diff");
        console.log(diff.out.split("\n").filter((l) => /spec|percent|~|Resources|update/.test(l)).map((l) => `      | ${l}`).join("\n"));
        // The guardrails through the real engine: with both templates known, every policy runs.
        const guarded = ok("2. pulumi preview --policy-pack policy (traffic-only)", "preview", "--policy-pack", "policy");
        expect(guarded.out).not.to.match(/\[mandatory\]|\[advisory\]/);
        up("2. pulumi up (traffic-only change)");
        expectTraffic(table("v1", "v2", 80));
        expect(revisions()).to.deep.equal(before.revisions);
        expect(outputs().images).to.deep.equal(before.images);
    });

    it("3. an unchanged re-run has nothing to do (--expect-no-changes)", () => {
        ok("3. pulumi preview --expect-no-changes", "preview", "--expect-no-changes");
        up("3. pulumi up (no-op)");
        expectTraffic(table("v1", "v2", 80));
    });

    if (SCENARIO !== "full") return;

    it("3b. marking the stack production (label, allowed steps) is a traffic-manager change Knative accepts", () => {
        const before = { revisions: revisions(), generation: liveService().metadata.generation };
        config("environment", "production");
        // A typed list: Pulumi refuses a plain string for an array<integer> key (measured), so
        // each item is set by path, as the README shows.
        ok("config set-all --path allowedRolloutSteps", "config", "set-all", "--path",
            ...[0, 10, 20, 80, 100].flatMap((p, i) => ["--plaintext", `knative-rollout:allowedRolloutSteps[${i}]=${p}`]));
        const preview = ok("3b. pulumi preview (environment label)", "preview", "--json");
        const typeOf = (s: any) => s.urn.split("::")[2].split("$").pop();
        const kubernetes = JSON.parse(preview.stdout).steps.filter((s: any) => s.op !== "same" && s.op !== "refresh" && typeOf(s).startsWith("kubernetes:"));
        expect(kubernetes.map((s: any) => `${s.op} ${typeOf(s)}`)).to.deep.equal(["update kubernetes:serving.knative.dev/v1:ServicePatch"]);
        up("3b. pulumi up (environment label)");
        const svc = liveService();
        expect(svc.metadata.labels["knative-rollout.dev/environment"]).to.equal("production");
        expect(svc.metadata.annotations["knative-rollout.dev/allowed-rollout-steps"]).to.equal("0,10,20,80,100");
        expect(revisions()).to.deep.equal(before.revisions);
        expect(svc.spec.template.metadata.name).to.equal(rev("v2"));
        // The policy pack holds a production stack to its rules: this one has no minScale (the
        // allowed steps include 80, so only that rule fails), and the preview fails with the pack.
        const guarded = pulumi("3b. pulumi preview --policy-pack policy (production without minScale)", "preview", "--policy-pack", "policy");
        expect(guarded.code).not.to.equal(0);
        expect(guarded.out).to.include("[mandatory]  production-requires-min-scale");
        expect(guarded.out).not.to.include("production-rollout-percent-is-allowed-step");
        console.log(guarded.out.split("\n").filter((l) => /mandatory|min-scale"; production/.test(l)).map((l) => `      | ${l.trim()}`).join("\n"));
        // A step outside the list is refused before anything is sent.
        config("rolloutPercent", "30");
        const refused = pulumi("3b. pulumi preview (rolloutPercent 30, not an allowed step)", "preview");
        expect(refused.code).not.to.equal(0);
        expect(refused.out).to.include("rolloutPercent 30 is not one of this stack's allowedRolloutSteps (0, 10, 20, 80, 100)");
        config("rolloutPercent", "80");
        // Labels and annotations are metadata: the spec, and so its generation, did not move.
        expect(liveService().metadata.generation).to.equal(before.generation);
    });

    it("4a. promotes the candidate to 100%", () => {
        config("rolloutPercent", "100");
        up("4a. pulumi up (promote)");
        expectTraffic(table("v1", "v2", 100));
    });

    it("4b. stable v2 with a new candidate v3 at 10%: one apply creates v3 and splits", () => {
        // A real v3: the v2 app with its version string moved on.
        makeAppVersion(dir, "v2", "v3");
        config("stableVersion", "v2");
        config("candidateVersion", "v3");
        config("rolloutPercent", "10");
        up("4b. pulumi up (next candidate: build v3, new revision, split)");
        expect(revisions()).to.include.members([rev("v2"), rev("v3")]);
        expect(liveService().spec.template.metadata.name).to.equal(rev("v3"));
        expectTraffic(table("v2", "v3", 10));
    });

    it("4c. rolls back to 0% for the candidate", () => {
        config("rolloutPercent", "0");
        up("4c. pulumi up (rollback)");
        expectTraffic(table("v2", "v3", 0));
    });

    it("5. a template change without a new version fails in preview, saying which key to change", () => {
        const before = liveService();
        config("target", "Knative");
        const r = pulumi("5. pulumi preview (template change, same name)", "preview");
        expect(r.code).not.to.equal(0);
        expect(r.out).to.include(`the revision template of ${rev("v3")} changed (target) but its name did not`);
        expect(r.out).to.include("set candidateVersion to it");
        const after = liveService();
        expect(after.metadata.generation).to.equal(before.metadata.generation);
        expect(after.spec).to.deep.equal(before.spec);
        ok("config rm target", "config", "rm", "knative-rollout:target");
    });

    it("6. a bad config value fails before anything is sent", () => {
        const before = liveService();
        config("rolloutPercent", "150");
        for (const cmd of [["preview"], ["up", "--yes", "--skip-preview"]]) {
            const r = pulumi(`6. pulumi ${cmd[0]} (rolloutPercent 150)`, ...cmd);
            expect(r.code).not.to.equal(0);
            expect(r.out).to.include('rolloutPercent must be an integer from 0 to 100 (the candidate\'s share of requests), got "150"');
        }
        expect(liveService().metadata.generation).to.equal(before.metadata.generation);
        config("rolloutPercent", "0");
        ok("6. pulumi preview --expect-no-changes (after fixing the value)", "preview", "--expect-no-changes");
    });

    it("7. awaiting readiness: fails within the timeout naming what is not Ready; the next run recovers", () => {
        config("awaitReady", "true");
        config("readyTimeoutSeconds", "20");
        config("rolloutPercent", "20");
        const r = pulumi("7. pulumi up (awaitReady, 20 s timeout, nothing can become Ready)", "up", "--yes", "--skip-preview");
        expect(r.code).not.to.equal(0);
        expect(r.out).to.include(`Service ${NS}/${SVC} is not Ready after 20s (readyTimeoutSeconds)`);
        expect(r.out).to.match(new RegExp(`Revision ${rev("v2")} is (not ready|failed)`));
        expect(r.out).to.match(new RegExp(`Revision ${rev("v3")} is (not ready|failed)`));
        console.log(r.out.split("\n").filter((l) => /not Ready after|Revision .* is|The traffic table was applied/.test(l)).map((l) => `      | ${l.trim()}`).join("\n"));
        expect(r.seconds).to.be.below(20 + 90);
        // The traffic table itself was applied; only the wait failed.
        expectTraffic(table("v2", "v3", 20));
        config("awaitReady", "false");
        up("7. pulumi up (recovery: awaitReady=false)");
        ok("7. pulumi preview --expect-no-changes (after recovery)", "preview", "--expect-no-changes");
    });

    after(() => {
        console.log("\n    timings (seconds):");
        for (const t of timings.filter((t) => /^\d/.test(t.what))) console.log(`      ${t.seconds.toFixed(1).padStart(6)}  ${t.what}`);
    });
});
