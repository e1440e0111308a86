/**
 * The rollout on live traffic: the real Pulumi CLI, the real kubernetes and docker-build providers
 * and Pulumi's dynamic provider host, against a real one-node cluster with Knative Serving's own
 * webhook, controller, activator, autoscaler and queue-proxy, and Traefik's Knative provider as
 * the ingress (started by e2e/up.sh; its env file must be sourced). Every claim about traffic is
 * measured on real requests through the ingress: the verifier, run with the exact command line the
 * program registers as its gate, judges each split, and a background probe (e2e/probe.ts) counts
 * failed requests and which version answered while each `pulumi up` runs.
 *
 *   E2E_SCENARIO=full  every step (default)
 *   E2E_SCENARIO=basic steps 1-3 (the run on the hardened Knative config)
 */
import { expect } from "chai";
import { KNATIVE_SERVING, parseConfig, planRollout, revisionName, sameTraffic, trafficTable, type TrafficTarget, type RawConfig } from "../model";
import { verifyCommandLine } from "../verifier/command";
import { makeAppVersion, PulumiStack, requireHarnessEnv, Run, scratchProject, sh, withProbe } from "./harness";
import { maxShareInWindow, type ProbeRecord } from "./probe";

const SCENARIO = process.env.E2E_SCENARIO ?? "full";
const NS = "revs";
const SVC = "helloworld-python";
const rev = (v: string) => revisionName(SVC, v);
requireHarnessEnv();
for (const name of ["E2E_INGRESS", "E2E_DOMAIN"]) {
    if (!process.env[name]) throw new Error(`${name} is not set: the live scenario needs the harness's data plane (E2E_DATAPLANE=1)`);
}
const INGRESS = process.env.E2E_INGRESS!;
const HOST = `${SVC}.${NS}.${process.env.E2E_DOMAIN}`;
const URL_ = `http://${HOST}`;
const timings: { what: string; seconds: number }[] = [];
/**
 * readyTimeoutSeconds where the update is meant to fail (no pull Secret, a crashing candidate):
 * Knative reports such a Revision "Deploying" within seconds and keeps it so until its progress
 * deadline, so a longer wait proves nothing more; a short one also keeps kubelet's image pull
 * back-off short for the recovery that follows.
 */
const FAILING_UP_TIMEOUT = 20;

describe(`real engine and data plane: the rollout on live traffic (${SCENARIO})`, function () {
    this.timeout(30 * 60 * 1000);
    const dir = scratchProject();
    const stack = new PulumiStack(dir, "e2e");
    const timed = (what: string, r: Run) => (timings.push({ what, seconds: r.seconds }), r);
    const pulumi = (what: string, ...args: string[]) => timed(what, stack.run(...args));
    const ok = (what: string, ...args: string[]) => timed(what, stack.ok(...args));
    const config = (key: string, value: string) => stack.config(key, value);
    const kubectl = (...args: string[]) => {
        const r = sh("kubectl", args, dir);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed:\n${r.out}`);
        return r.stdout;
    };
    const liveService = () => JSON.parse(kubectl("get", "ksvc", "-n", NS, SVC, "-o", "json"));
    const revisions = () => JSON.parse(kubectl("get", "revisions", "-n", NS, "-o", "json")).items.map((r: any) => r.metadata.name).sort();
    const readyRevisions = () =>
        JSON.parse(kubectl("get", "revisions", "-n", NS, "-o", "json"))
            .items.filter((r: any) => r.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
            .map((r: any) => r.metadata.name)
            .sort();
    const outputs = () => JSON.parse(ok("stack output", "stack", "output", "--json", "--show-secrets").stdout);
    const expectTraffic = (want: TrafficTarget[]) => {
        const live = liveService().spec.traffic;
        expect(sameTraffic(live, want), `live spec.traffic ${JSON.stringify(live)}`).to.equal(true);
    };
    const table = (stable: string, candidate: string, p: number) => trafficTable({ stableRevision: rev(stable), candidateRevision: rev(candidate), candidatePercent: p });

    /** The stack's config as the program reads it (the stack file, through Pulumi's own `config`). */
    const rawConfig = (): RawConfig => {
        const all = JSON.parse(stack.ok("config", "--json").stdout) as Record<string, { value?: string; objectValue?: unknown; secret?: boolean }>;
        const raw: Record<string, string> = {};
        for (const [key, v] of Object.entries(all)) {
            const name = key.replace(/^knative-rollout:/, "");
            raw[name] = v.secret ? "secret" : v.objectValue !== undefined ? JSON.stringify(v.objectValue) : String(v.value);
        }
        return raw as RawConfig;
    };
    /**
     * The gate's command line for the stack as it is configured now: built by the functions the
     * program's TrafficVerifier uses (model/plan.ts, verifier/command.ts), against the Service's
     * URL from the stack's outputs. Run through /bin/sh in the project, as the command provider runs it.
     */
    const verifyLikeTheGate = (what: string): string => {
        const config = parseConfig(rawConfig(), { versionExists: () => true });
        const plan = planRollout(config);
        const line = verifyCommandLine({ ...config.verify!, url: outputs().url, expect: plan.expectedSplit });
        const r = timed(`${what}: the gate's verifier`, sh("/bin/sh", ["-c", line], dir));
        console.log(`      ${line}\n${r.stdout.split("\n").filter((l) => /^(v\d|decision)/.test(l)).map((l) => `      | ${l}`).join("\n")}`);
        expect(r.code, r.out).to.equal(0);
        expect(r.stdout).to.match(/^decision: MATCH/m);
        return r.stdout;
    };
    /** `pulumi up` with the probe running through the ingress; returns what the probe saw. */
    const upProbed = async (what: string, ...args: string[]): Promise<{ run: Run; probe: ProbeRecord }> => {
        const { result, probe } = await withProbe({ url: `${URL_}/`, address: INGRESS }, () => pulumi(what, "up", "--yes", ...args));
        console.log(`      probe during "${what}": ${probe.answered} answers ${JSON.stringify(probe.byVersion)}, ${probe.failed} failed${probe.failed ? ` (${JSON.stringify(probe.failures.slice(0, 3))})` : ""}`);
        return { run: result, probe };
    };
    const expectNoFailedRequest = (probe: ProbeRecord) => {
        expect(probe.answered, "the probe got answers").to.be.above(10);
        expect(probe.failed, `failed requests: ${JSON.stringify(probe.failures)}`).to.equal(0);
    };

    before(() => {
        stack.init();
        stack.useHarnessRegistry();
        config("stableVersion", "v1");
        config("candidateVersion", "v2");
        config("rolloutPercent", "50");
        config("awaitReady", "true");
        config("readyTimeoutSeconds", "240");
        // The gate's settings: the ingress, and the Host users reach the Service by. The gate's own
        // step needs the command provider, which cannot be built here; its exact command line runs
        // right after each `pulumi up` instead (verifyLikeTheGate).
        stack.ok("config", "set", "--path", "knative-rollout:verify.address", INGRESS);
        stack.ok("config", "set", "--path", "knative-rollout:verify.host", HOST);
        stack.ok("config", "set", "--path", "knative-rollout:verify.gate", "false");
    });

    it("1. from nothing, one `pulumi up` bootstraps both pinned revisions; both Ready; the gate passes; 50/50 measured through Traefik", () => {
        // With its preview, as a user runs it: the preview of a fresh stack must pass too.
        ok("1. first pulumi up, preview included (bootstrap, build, push, Ready)", "up", "--yes");
        expect(revisions()).to.deep.equal([rev("v1"), rev("v2")]);
        expect(readyRevisions()).to.deep.equal([rev("v1"), rev("v2")]);
        expectTraffic(table("v1", "v2", 50));
        const svc = liveService();
        expect(svc.spec.template.metadata.name).to.equal(rev("v2"));
        expect(svc.spec.template.spec.containers[0].image).to.match(/:v2@sha256:[0-9a-f]{64}$/);
        expect(svc.status.conditions.find((c: any) => c.type === "Ready").status).to.equal("True");
        // spec.traffic belongs to the traffic patch's field manager; nothing to the bootstrap any more.
        const managed = JSON.parse(kubectl("get", "ksvc", "-n", NS, SVC, "-o", "json", "--show-managed-fields")).metadata.managedFields;
        const owner = (field: string) => managed.filter((m: any) => m.operation === "Apply" && JSON.stringify(m.fieldsV1?.["f:spec"] ?? {}).includes(field)).map((m: any) => m.manager);
        expect(owner('"f:traffic"')).to.deep.equal(["knative-rollout-traffic"]);
        expect(owner('"f:template"')).to.have.length(1).and.not.include("knative-rollout-traffic");
        expect(managed.map((m: any) => m.manager)).not.to.include("knative-rollout-bootstrap");
        const out = outputs();
        expect(out.traffic).to.deep.equal(table("v1", "v2", 50));
        expect(out.url).to.equal(URL_);
        // The pods pulled the program's images with its own image pull Secret (the registry requires it).
        const pods = JSON.parse(kubectl("get", "pods", "-n", NS, "-o", "json")).items;
        expect(pods.map((p: any) => p.spec.imagePullSecrets)).to.deep.equal(pods.map(() => [{ name: `${SVC}-registry` }]));
        verifyLikeTheGate("1. 50/50");
    });

    it("2. rolloutPercent 80: the preview shows only spec.traffic; after `up`, 20/80 measured; no request failed meanwhile", async () => {
        const before = { images: outputs().images, revisions: revisions() };
        config("rolloutPercent", "80");
        const preview = ok("2. pulumi preview (traffic-only)", "preview", "--json");
        // A step's type is the last `$`-separated part of its URN's type (parents come first).
        const typeOf = (s: any) => s.urn.split("::")[2].split("$").pop();
        // Refresh steps are reads (Pulumi.yaml refreshes before every run), not changes.
        const steps = JSON.parse(preview.stdout).steps.filter((s: any) => s.op !== "same" && s.op !== "refresh");
        const kubernetes = steps.filter((s: any) => typeOf(s).startsWith("kubernetes:"));
        expect(kubernetes.map((s: any) => `${s.op} ${typeOf(s)}`)).to.deep.equal([`update kubernetes:${KNATIVE_SERVING.apiVersion}:ServicePatch`]);
        const diffKeys = Object.keys(kubernetes[0].detailedDiff ?? {});
        expect(diffKeys).to.have.length.above(0);
        expect(diffKeys.every((k) => k.startsWith("spec.traffic"))).to.equal(true);
        // Besides the patch: the gate that checks it, and the rollout plan the policy pack judges.
        const others = steps.map((s: any) => `${s.op} ${typeOf(s)}`).filter((c: string) => !c.endsWith("ReadinessGate") && !c.endsWith(":Stack") && !c.endsWith(":KnativeRollout"));
        expect(others).to.deep.equal([`update kubernetes:${KNATIVE_SERVING.apiVersion}:ServicePatch`]);
        const diff = ok("2. pulumi preview --diff", "preview", "--diff");
        console.log(diff.out.split("\n").filter((l) => /percent|~ .*ServicePatch/.test(l)).map((l) => `      | ${l}`).join("\n"));
        const guarded = ok("2. pulumi preview --policy-pack policy (traffic-only)", "preview", "--policy-pack", "policy");
        expect(guarded.out).not.to.match(/\[mandatory\]|\[advisory\]|can't run policy/);
        const { probe } = await upProbed("2. pulumi up (traffic-only change)", "--skip-preview");
        expectNoFailedRequest(probe);
        expectTraffic(table("v1", "v2", 80));
        expect(revisions()).to.deep.equal(before.revisions);
        expect(outputs().images).to.deep.equal(before.images);
        verifyLikeTheGate("2. 20/80");
    });

    it("3. an unchanged re-run has nothing to do (--expect-no-changes)", () => {
        ok("3. pulumi preview --expect-no-changes", "preview", "--expect-no-changes");
        const r = ok("3. pulumi up (no-op)", "up", "--yes", "--skip-preview");
        expect(r.out).not.to.match(/updated|created|deleted/);
        expectTraffic(table("v1", "v2", 80));
    });

    if (SCENARIO !== "full") return;

    it("4a. promotes the candidate to 100%: 0/100 measured, no failed request", async () => {
        config("rolloutPercent", "100");
        const { probe } = await upProbed("4a. pulumi up (promote)", "--skip-preview");
        expectNoFailedRequest(probe);
        expectTraffic(table("v1", "v2", 100));
        verifyLikeTheGate("4a. 0/100");
    });

    it("4b. without its image pull Secret a new revision cannot pull, and `pulumi up` says so; a plain `pulumi up` puts the Secret back", () => {
        // The registry requires credentials for pulls too: the only ones containerd has are the
        // Secret the program creates. Remove it out of band and roll a new version (an image the
        // node never pulled), with the refresh that would restore the Secret turned off.
        makeAppVersion(dir, "v2", "v3");
        kubectl("delete", "secret", "-n", NS, `${SVC}-registry`);
        config("stableVersion", "v2");
        config("candidateVersion", "v3");
        config("rolloutPercent", "0");
        config("readyTimeoutSeconds", String(FAILING_UP_TIMEOUT));
        const r = pulumi("4b. pulumi up --refresh=false (no pull Secret)", "up", "--yes", "--skip-preview", "--refresh=false");
        console.log(r.out.split("\n").filter((l) => /not Ready after|Revision .* is|Revision .*, pod/.test(l)).map((l) => `      | ${l.trim()}`).join("\n"));
        expect(r.code).not.to.equal(0);
        expect(r.out).to.include(`Service ${NS}/${SVC} is not Ready after ${FAILING_UP_TIMEOUT}s (readyTimeoutSeconds)`);
        expect(r.out).to.match(new RegExp(`Revision ${rev("v3")} is (not ready|failed)`));
        // And why, from the pod: Knative's own condition says only "Deploying" for minutes.
        expect(r.out).to.match(new RegExp(`Revision ${rev("v3")}, pod \\S+, container \\S+: (ErrImagePull|ImagePullBackOff)`));
        const events = kubectl("get", "events", "-n", NS, "-o", "json");
        expect(events).to.match(/no basic auth credentials|401 Unauthorized|authorization failed/);
        config("readyTimeoutSeconds", "240");
        // The project refreshes before every run: the Secret is seen missing and created again.
        ok("4b. pulumi up (plain: the Secret back, v3 pulls)", "up", "--yes", "--skip-preview");
        expect(readyRevisions()).to.include(rev("v3"));
        expectTraffic(table("v2", "v3", 0));
    });

    it("4c. stable v2 with the candidate v3 at 10%: measured; then rolled back to 0%: measured; no failed request", async () => {
        config("rolloutPercent", "10");
        const at10 = await upProbed("4c. pulumi up (candidate v3 at 10%)", "--skip-preview");
        expectNoFailedRequest(at10.probe);
        expectTraffic(table("v2", "v3", 10));
        verifyLikeTheGate("4c. 90/10");
        config("rolloutPercent", "0");
        const back = await upProbed("4c. pulumi up (rollback to 0%)", "--skip-preview");
        expectNoFailedRequest(back.probe);
        expectTraffic(table("v2", "v3", 0));
        verifyLikeTheGate("4c. 100/0");
    });

    it("5. a broken candidate: `pulumi up` fails within readyTimeoutSeconds naming the Revision and why; the stable keeps serving every request; the documented recovery works", async () => {
        // v4's container exits at start: its module raises on import.
        makeAppVersion(dir, "v2", "v4", (source) => source.replace(/^(import os)$/m, `$1\nraise SystemExit("v4 is broken on purpose")`));
        config("candidateVersion", "v4");
        config("rolloutPercent", "10");
        config("readyTimeoutSeconds", String(FAILING_UP_TIMEOUT));
        const { run, probe } = await upProbed("5. pulumi up (broken candidate v4 at 10%)", "--skip-preview");
        console.log(run.out.split("\n").filter((l) => /not Ready after|Revision .* is|Revision .*, pod/.test(l)).map((l) => `      | ${l.trim()}`).join("\n"));
        expect(run.code).not.to.equal(0);
        expect(run.out).to.include(`Service ${NS}/${SVC} is not Ready after ${FAILING_UP_TIMEOUT}s (readyTimeoutSeconds)`);
        expect(run.out).to.match(new RegExp(`Revision ${rev("v4")} is (not ready|failed): \\S+`));
        expect(run.out).to.match(new RegExp(`Revision ${rev("v4")}, pod \\S+, container \\S+: .*(CrashLoopBackOff|last exited with code)`));
        expect(run.seconds).to.be.below(FAILING_UP_TIMEOUT + 120);
        // Knative leaves the route alone while a target is not Ready: the stable served everything.
        expectNoFailedRequest(probe);
        expect(Object.keys(probe.byVersion)).to.deep.equal(["v2"]);
        // The recovery the docs give: point the candidate back at a good version.
        config("candidateVersion", "v3");
        config("rolloutPercent", "0");
        config("readyTimeoutSeconds", "240");
        ok("5. pulumi up (recovery: candidateVersion back to v3)", "up", "--yes", "--skip-preview");
        expectTraffic(table("v2", "v3", 0));
        verifyLikeTheGate("5. after recovery");
    });

    it("6. drift: traffic moved out of band is put back by the next plain `pulumi up`, measured", () => {
        config("rolloutPercent", "10");
        ok("6. pulumi up (10%)", "up", "--yes", "--skip-preview");
        kubectl("patch", "ksvc", "-n", NS, SVC, "--type", "merge", "-p",
            JSON.stringify({ spec: { traffic: [{ revisionName: rev("v2"), percent: 50 }, { revisionName: rev("v3"), percent: 50 }] } }));
        expect(liveService().spec.traffic.map((t: any) => t.percent)).to.deep.equal([50, 50]);
        const preview = ok("6. pulumi preview (after the drift)", "preview", "--diff");
        expect(preview.out).to.match(/ServicePatch/);
        ok("6. pulumi up (plain: the drift put back)", "up", "--yes");
        expectTraffic(table("v2", "v3", 10));
        verifyLikeTheGate("6. 90/10 again");
    });

    it("7. the Service deleted out of band: the next `pulumi up` restores both revisions and the split, never giving the candidate more than its share", async () => {
        kubectl("delete", "ksvc", "-n", NS, SVC, "--wait=true");
        const { probe } = await upProbed("7. pulumi up (plain: the Service re-created)");
        expect(readyRevisions()).to.include.members([rev("v2"), rev("v3")]);
        expectTraffic(table("v2", "v3", 10));
        // Until the Service is back the ingress has no route (404s); then the stable alone; then
        // 90/10. Traefik's weighted round robin is smooth: 10% is 1 in every 10 answers, so 20
        // answers in a row never hold more than a few of the candidate's unless it got more.
        const answers = probe.answers.filter(([, o]) => !o.startsWith("error:"));
        const most = maxShareInWindow(answers, "v3", 20);
        console.log(`      the candidate's most answers in any 20 in a row: ${most} (its share: 10%)`);
        expect(answers.length).to.be.above(20);
        expect(most).to.be.at.most(4);
        verifyLikeTheGate("7. 90/10 restored");
    });

    it("8. scale to zero: a revision scaled down answers a request through the ingress (cold start timed)", () => {
        // The candidate at 0% gets no traffic: with a short grace period its pods go away.
        const autoscaler = (data: Record<string, string | null>) =>
            kubectl("-n", "knative-serving", "patch", "configmap", "config-autoscaler", "--type", "merge", "-p", JSON.stringify({ data }));
        autoscaler({ "scale-to-zero-grace-period": "6s", "stable-window": "6s" });
        try {
            // A pod being deleted no longer serves (it is out of the endpoints) but drains for about
            // 30 s (queue-proxy's drain): zero means none left that is not being deleted.
            const pods = () =>
                JSON.parse(kubectl("get", "pods", "-n", NS, "-l", `serving.knative.dev/revision=${rev("v3")}`, "-o", "json")).items
                    .filter((p: any) => !p.metadata.deletionTimestamp).length;
            const deadline = Date.now() + 180_000;
            while (pods() > 0 && Date.now() < deadline) sh("sleep", ["1"], dir);
            expect(pods(), "the candidate's pods scaled to zero within 180 s").to.equal(0);
            // Through the ingress, by the candidate's tag URL: the activator holds the request until a pod is up.
            const r = sh("curl", ["-s", "-w", "\n%{http_code} %{time_total}", "--max-time", "60", "-H", `Host: candidate-${HOST}`, `http://${INGRESS}/`], dir);
            const lines = r.stdout.trim().split("\n");
            const [body, status] = [lines.slice(0, -1).join("\n"), lines[lines.length - 1].split(" ")];
            console.log(`      cold start through Traefik and the activator: HTTP ${status[0]} in ${(+status[1]).toFixed(2)} s (${body.trim()})`);
            timings.push({ what: "8. cold start through the ingress (request from zero pods)", seconds: +status[1] });
            expect(status[0]).to.equal("200");
            expect(body).to.include(": v3 !");
        } finally {
            autoscaler({ "scale-to-zero-grace-period": null, "stable-window": null });
        }
    });

    it("9. marking the stack production (label, allowed steps) is a traffic-manager change Knative accepts; the pack refuses minScale 0", () => {
        const before = { revisions: revisions(), generation: liveService().metadata.generation };
        config("environment", "production");
        ok("config set-all --path allowedRolloutSteps", "config", "set-all", "--path",
            ...[0, 10, 20, 80, 100].flatMap((p, i) => ["--plaintext", `knative-rollout:allowedRolloutSteps[${i}]=${p}`]));
        ok("9. pulumi up (environment label)", "up", "--yes", "--skip-preview");
        const svc = liveService();
        expect(svc.metadata.labels["knative-rollout.dev/environment"]).to.equal("production");
        expect(svc.metadata.annotations["knative-rollout.dev/allowed-rollout-steps"]).to.equal("0,10,20,80,100");
        expect(revisions()).to.deep.equal(before.revisions);
        const guarded = pulumi("9. pulumi preview --policy-pack policy (production without minScale)", "preview", "--policy-pack", "policy");
        expect(guarded.code).not.to.equal(0);
        expect(guarded.out).to.include("[mandatory]  production-requires-min-scale");
        config("rolloutPercent", "30");
        const refused = pulumi("9. pulumi preview (rolloutPercent 30, not an allowed step)", "preview");
        expect(refused.code).not.to.equal(0);
        expect(refused.out).to.include("rolloutPercent 30 is not one of this stack's allowedRolloutSteps (0, 10, 20, 80, 100)");
        config("rolloutPercent", "10");
        expect(liveService().metadata.generation).to.equal(before.generation);
    });

    it("10. a template change without a new version, and a bad config value, fail before anything is sent", () => {
        const before = liveService();
        config("target", "Knative");
        const r = pulumi("10. pulumi preview (template change, same name)", "preview");
        expect(r.code).not.to.equal(0);
        expect(r.out).to.include(`the revision template of ${rev("v3")} changed (target) but its name did not`);
        ok("config rm target", "config", "rm", "knative-rollout:target");
        config("rolloutPercent", "150");
        for (const cmd of [["preview"], ["up", "--yes", "--skip-preview"]]) {
            const bad = pulumi(`10. pulumi ${cmd[0]} (rolloutPercent 150)`, ...cmd);
            expect(bad.code).not.to.equal(0);
            expect(bad.out).to.include('rolloutPercent must be an integer from 0 to 100 (the candidate\'s share of requests), got "150"');
        }
        config("rolloutPercent", "10");
        const after = liveService();
        expect(after.metadata.generation).to.equal(before.metadata.generation);
        expect(after.spec).to.deep.equal(before.spec);
        ok("10. pulumi preview --expect-no-changes (after fixing the value)", "preview", "--expect-no-changes");
    });

    after(() => {
        console.log("\n    timings (seconds):");
        for (const t of timings.filter((t) => /^\d/.test(t.what))) console.log(`      ${t.seconds.toFixed(1).padStart(6)}  ${t.what}`);
    });
});
