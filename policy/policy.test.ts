/**
 * The policy pack (policy/): its rules run on the resources the real program registers under
 * Pulumi's mocks, for a dev and a production-like configuration, and must pass; then one broken
 * variant per case (the evaluated resources, mutated) must fail with the expected message. Last,
 * the pack itself is type-checked and started the way `pulumi preview --policy-pack policy` starts
 * it (Pulumi's own run-policy-pack entry point), and asked over its gRPC interface.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RawConfig } from "../model";
import { ANNOTATIONS, LABELS } from "../model";
import {
    autoscalingAnnotationViolations,
    DEFAULT_ROLLOUT_STEPS,
    imageDigestViolations,
    POLICY_NAMES,
    PolicyResource,
    productionMinScaleViolations,
    productionRolloutStepViolations,
    productionStableVersionViolations,
    revisionNameViolations,
    trafficPercentViolations,
} from "./rules";
import { evaluate, makeAppsDir, Registered, TYPES } from "../tests/support/program";

const ROOT = path.join(__dirname, "..");
const POLICY_DIR = path.join(ROOT, "policy");
const appsDir = makeAppsDir(["v1", "v2"]);
const renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-policy-render-"));

const dev: RawConfig = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50", registry: "127.0.0.1:5000" };
/** A production stack: its plan says so, and the program labels the traffic patch with it. */
const prod: RawConfig = {
    ...dev,
    rolloutPercent: "10",
    autoscaling: '{"target": 10, "minScale": 1, "maxScale": 5}',
    environment: "production",
    allowedRolloutSteps: "[0, 10, 25, 50, 100]",
};

type PolicyName = (typeof POLICY_NAMES)[keyof typeof POLICY_NAMES];
type Findings = Record<PolicyName, string[]>;

const urnOf = (r: Registered) => `urn:pulumi:test::knative-rollout::${r.type}::${r.name}`;

/** Every rule over every resource, as the pack runs them (each policy on its types). */
function check(resources: Registered[], rolloutSteps: readonly number[] = DEFAULT_ROLLOUT_STEPS): Findings {
    const policyResources: PolicyResource[] = resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs, urn: urnOf(r) }));
    const findings = Object.fromEntries(Object.values(POLICY_NAMES).map((n) => [n, [] as string[]])) as Findings;
    for (const r of policyResources) {
        findings[POLICY_NAMES.trafficPercents].push(...trafficPercentViolations(r));
        findings[POLICY_NAMES.revisionNames].push(...revisionNameViolations(r));
        findings[POLICY_NAMES.imageDigests].push(...imageDigestViolations(r));
        findings[POLICY_NAMES.autoscalingAnnotations].push(...autoscalingAnnotationViolations(r));
        findings[POLICY_NAMES.productionStableVersion].push(...productionStableVersionViolations(r));
        findings[POLICY_NAMES.productionMinScale].push(...productionMinScaleViolations(r));
        findings[POLICY_NAMES.productionRolloutSteps].push(...productionRolloutStepViolations(r, rolloutSteps));
    }
    return findings;
}

const failing = (findings: Findings) => Object.entries(findings).filter(([, m]) => m.length > 0).map(([n]) => n);

// Accessors into an evaluated program's resources.
const inputsOf = (resources: Registered[], type: string) => {
    const found = resources.filter((r) => r.type === type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0].inputs;
};
const plan = (rs: Registered[]) => inputsOf(rs, TYPES.rollout).plan;
const service = (rs: Registered[]) => inputsOf(rs, TYPES.service);
const patch = (rs: Registered[]) => inputsOf(rs, TYPES.servicePatch);
const bootstrap = (rs: Registered[]) => inputsOf(rs, TYPES.bootstrap);
const template = (rs: Registered[]) => service(rs).spec.template;
const planTemplate = (rs: Registered[]) => plan(rs).templates.v2;
/** Moves the split on the traffic patch, or on the plan. */
const split = (rs: Registered[], stable: number, candidate: number) => {
    patch(rs).spec.traffic[0].percent = stable;
    patch(rs).spec.traffic[1].percent = candidate;
};
const planSplit = (rs: Registered[], stable: number, candidate: number) => {
    plan(rs).traffic[0].percent = stable;
    plan(rs).traffic[1].percent = candidate;
};

interface Case {
    name: string;
    base: "dev" | "prod";
    mutate: (resources: Registered[]) => void;
    /** Policy config `rolloutSteps`, when not the default. */
    rolloutSteps?: number[];
    /** The one policy that must fail, and a fragment of its message; absent: every policy passes. */
    fails?: { policy: PolicyName; message: string };
}

const CASES: Case[] = [
    // 1. traffic percents
    { name: "patch percents summing to 90", base: "dev", mutate: (rs) => split(rs, 50, 40),
      fails: { policy: POLICY_NAMES.trafficPercents, message: "spec.traffic percents sum to 90 (helloworld-python-v1 50, helloworld-python-v2 40, latest 0), want exactly 100" } },
    { name: "a fractional percent", base: "dev", mutate: (rs) => split(rs, 49.5, 50.5),
      fails: { policy: POLICY_NAMES.trafficPercents, message: "spec.traffic[0] (helloworld-python-v1, tag current) has percent 49.5; each percent must be an integer from 0 to 100" } },
    { name: "a percent over 100 (and one below 0)", base: "dev", mutate: (rs) => split(rs, -10, 110),
      fails: { policy: POLICY_NAMES.trafficPercents, message: "spec.traffic[1] (helloworld-python-v2, tag candidate) has percent 110" } },
    { name: "a percent given as a string", base: "dev", mutate: (rs) => split(rs, "50" as any, 50),
      fails: { policy: POLICY_NAMES.trafficPercents, message: 'has percent "50"' } },
    { name: "the Service itself carrying traffic that sums to 80", base: "dev",
      mutate: (rs) => { service(rs).spec.traffic = [{ revisionName: "helloworld-python-v2", percent: 80 }]; },
      fails: { policy: POLICY_NAMES.trafficPercents, message: "Service revs/helloworld-python (resource helloworld-python): spec.traffic percents sum to 80" } },
    { name: "a plan whose table sums to 110", base: "dev", mutate: (rs) => planSplit(rs, 60, 50),
      fails: { policy: POLICY_NAMES.trafficPercents, message: "rollout plan of Service revs/helloworld-python (resource helloworld-python): plan.traffic percents sum to 110" } },
    // 2. revision names
    { name: "a pinned revision of another service", base: "dev", mutate: (rs) => { patch(rs).spec.traffic[0].revisionName = "other-v1"; },
      fails: { policy: POLICY_NAMES.revisionNames, message: 'spec.traffic[0].revisionName is "other-v1", which does not start with "helloworld-python-"' } },
    { name: "a template name without the service prefix", base: "dev", mutate: (rs) => { template(rs).metadata.name = "helloworld-v2"; },
      fails: { policy: POLICY_NAMES.revisionNames, message: 'spec.template.metadata.name is "helloworld-v2", which does not start with "helloworld-python-"' } },
    { name: "a template name that is only the prefix", base: "dev", mutate: (rs) => { template(rs).metadata.name = "helloworld-python-"; },
      fails: { policy: POLICY_NAMES.revisionNames, message: 'spec.template.metadata.name is "helloworld-python-"' } },
    { name: "the bootstrap's stable template named without the prefix", base: "dev", mutate: (rs) => { bootstrap(rs).stableTemplate.metadata.name = "v1"; },
      fails: { policy: POLICY_NAMES.revisionNames, message: 'bootstrap of Service revs/helloworld-python (resource helloworld-python-bootstrap): stableTemplate.metadata.name is "v1"' } },
    { name: "a plan template named without the prefix", base: "dev", mutate: (rs) => { planTemplate(rs).metadata.name = "v2"; },
      fails: { policy: POLICY_NAMES.revisionNames, message: 'plan.templates.v2.metadata.name is "v2"' } },
    // 3. digest-pinned images
    { name: "an image by tag only", base: "dev",
      mutate: (rs) => { template(rs).spec.containers[0].image = "127.0.0.1:5000/helloworld-python:v2"; },
      fails: { policy: POLICY_NAMES.imageDigests, message: 'spec.template.spec.containers[0].image is "127.0.0.1:5000/helloworld-python:v2", not pinned by digest' } },
    { name: "a truncated digest in the bootstrap's stable template", base: "dev",
      mutate: (rs) => { const c = bootstrap(rs).stableTemplate.spec.containers[0]; c.image = c.image.slice(0, -1); },
      fails: { policy: POLICY_NAMES.imageDigests, message: "stableTemplate.spec.containers[0].image" } },
    { name: "a digest in upper-case hex", base: "dev",
      mutate: (rs) => { const c = template(rs).spec.containers[0]; c.image = c.image.replace(/@sha256:(.*)$/, (_: string, h: string) => `@sha256:${h.toUpperCase()}`); },
      fails: { policy: POLICY_NAMES.imageDigests, message: "not pinned by digest" } },
    // 4. autoscaling annotations
    { name: "the tutorial's misspelt domain", base: "dev",
      mutate: (rs) => { template(rs).metadata.annotations = { "autoscaling.kantive.dev/target": "10" }; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: 'annotation "autoscaling.kantive.dev/target" is not in the "autoscaling.knative.dev" domain, so Knative ignores it; rename it to "autoscaling.knative.dev/target"' } },
    { name: "camelCase minScale", base: "dev",
      mutate: (rs) => { template(rs).metadata.annotations = { "autoscaling.knative.dev/minScale": "1" }; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: 'annotation "autoscaling.knative.dev/minScale" is the old camelCase spelling; use "autoscaling.knative.dev/min-scale"' } },
    { name: "a lower-case minscale", base: "dev",
      mutate: (rs) => { template(rs).metadata.annotations = { "autoscaling.knative.dev/minscale": "1" }; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: 'did you mean "autoscaling.knative.dev/min-scale"?' } },
    { name: "an annotation Knative does not know", base: "dev",
      mutate: (rs) => { template(rs).metadata.annotations = { "autoscaling.knative.dev/max-scales": "5" }; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: 'annotation "autoscaling.knative.dev/max-scales" is not one Knative reads' } },
    { name: "an autoscaling annotation on the Service's own metadata", base: "dev",
      mutate: (rs) => { service(rs).metadata.annotations["autoscaling.knative.dev/min-scale"] = "1"; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: "autoscaling annotation \"autoscaling.knative.dev/min-scale\" is on the Service's own metadata.annotations; Knative reads autoscaling only from spec.template.metadata.annotations" } },
    { name: "camelCase maxScale in the bootstrap's stable template", base: "dev",
      mutate: (rs) => { bootstrap(rs).stableTemplate.metadata.annotations = { "autoscaling.knative.dev/maxScale": "5" }; },
      fails: { policy: POLICY_NAMES.autoscalingAnnotations, message: 'stableTemplate.metadata.annotations: annotation "autoscaling.knative.dev/maxScale" is the old camelCase spelling' } },
    // 5. production: judged on the plan, which is known in a preview and registered first
    { name: "production without a stable version", base: "prod",
      mutate: (rs) => { plan(rs).traffic = [{ revisionName: "helloworld-python-v2", percent: 100, tag: "candidate" }, { latestRevision: true, percent: 0, tag: "latest" }]; },
      fails: { policy: POLICY_NAMES.productionStableVersion, message: 'production Service revs/helloworld-python (environment production): its traffic has no revision tagged "current"' } },
    { name: "production spelled PRODUCTION, without a stable version: still production", base: "prod",
      mutate: (rs) => { plan(rs).environment = "PRODUCTION"; plan(rs).traffic = [{ revisionName: "helloworld-python-v2", percent: 100, tag: "candidate" }]; },
      fails: { policy: POLICY_NAMES.productionStableVersion, message: "Set stableVersion to the version now serving" } },
    { name: "production called prod, without min-scale", base: "prod",
      mutate: (rs) => { plan(rs).environment = "prod"; delete planTemplate(rs).metadata.annotations["autoscaling.knative.dev/min-scale"]; },
      fails: { policy: POLICY_NAMES.productionMinScale, message: "production Service revs/helloworld-python (environment prod)" } },
    { name: "production without min-scale", base: "prod", mutate: (rs) => { delete planTemplate(rs).metadata.annotations["autoscaling.knative.dev/min-scale"]; },
      fails: { policy: POLICY_NAMES.productionMinScale, message: 'the revision template has no "autoscaling.knative.dev/min-scale"; production needs at least 1' } },
    { name: "production with min-scale 0", base: "prod", mutate: (rs) => { planTemplate(rs).metadata.annotations["autoscaling.knative.dev/min-scale"] = "0"; },
      fails: { policy: POLICY_NAMES.productionMinScale, message: '"autoscaling.knative.dev/min-scale" is "0"' } },
    { name: "production at 30%, not an allowed step of the stack", base: "prod", mutate: (rs) => planSplit(rs, 70, 30),
      fails: { policy: POLICY_NAMES.productionRolloutSteps, message: "the candidate helloworld-python-v2 gets 30%, which is not an allowed production rollout step (0, 10, 25, 50, 100, from the stack's allowedRolloutSteps)" } },
    { name: "production at 30% with no steps in the stack: the policy config's steps", base: "prod",
      mutate: (rs) => { plan(rs).allowedRolloutSteps = []; planSplit(rs, 70, 30); },
      fails: { policy: POLICY_NAMES.productionRolloutSteps, message: "(0, 10, 25, 50, 100, from the policy pack's config rolloutSteps)" } },
    // what must pass
    { name: "dev at 30% without min-scale or a stable version: production rules do not apply", base: "dev",
      mutate: (rs) => { plan(rs).traffic = [{ revisionName: "helloworld-python-v2", percent: 100, tag: "candidate" }]; } },
    { name: "production at 30% when the stack allows it", base: "prod",
      mutate: (rs) => { plan(rs).allowedRolloutSteps = [0, 30, 100]; planSplit(rs, 70, 30); } },
    { name: "production at 30% when the policy config allows it", base: "prod", rolloutSteps: [0, 30, 100],
      mutate: (rs) => { plan(rs).allowedRolloutSteps = []; planSplit(rs, 70, 30); } },
    { name: "a hand-labelled production Service without the plan's say-so: the labels are not the rules' input", base: "dev",
      mutate: (rs) => { patch(rs).metadata.labels[LABELS.environment] = "production"; } },
    { name: "every annotation Knative's register.go defines", base: "dev",
      mutate: (rs) => { Object.assign(template(rs).metadata.annotations ??= {}, {
          "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev", "autoscaling.knative.dev/metric": "rps",
          "autoscaling.knative.dev/window": "60s", "autoscaling.knative.dev/initial-scale": "1",
          "autoscaling.knative.dev/activation-scale": "2", "autoscaling.knative.dev/scale-down-delay": "5m",
          "autoscaling.knative.dev/target-utilization-percentage": "70", "autoscaling.knative.dev/panic-window-percentage": "10",
          "autoscaling.knative.dev/panic-threshold-percentage": "200", "autoscaling.knative.dev/scale-to-zero-pod-retention-period": "1m",
          "autoscaling.knative.dev/target-burst-capacity": "200", "autoscaling.knative.dev/metric-aggregation-algorithm": "linear",
          "cluster-autoscaler.kubernetes.io/safe-to-evict": "true" }); } },
];

describe("policy pack (policy/)", function () {
    this.timeout(180000);
    const evaluated: Record<"dev" | "prod" | "render", Registered[]> = { dev: [], prod: [], render: [] };
    const fresh = (base: "dev" | "prod" | "render"): Registered[] => structuredClone(evaluated[base]);

    before(async () => {
        evaluated.dev = (await evaluate(dev, appsDir)).resources;
        evaluated.prod = (await evaluate(prod, appsDir)).resources;
        evaluated.render = (await evaluate({ ...prod, renderYamlToDirectory: renderDir }, appsDir)).resources;
    });

    it("every rule passes on what the program registers for the dev config", () => {
        const rs = fresh("dev");
        expect(rs.map((r) => r.type)).to.include.members([TYPES.service, TYPES.servicePatch, TYPES.bootstrap]);
        expect(failing(check(rs)), JSON.stringify(check(rs), null, 1)).to.deep.equal([]);
    });

    it("every rule passes on what the program registers for a production config", () => {
        const rs = fresh("prod");
        expect(plan(rs)).to.include({ environment: "production", production: true });
        expect(patch(rs).metadata.labels[LABELS.environment]).to.equal("production");
        expect(patch(rs).metadata.annotations[ANNOTATIONS.allowedSteps]).to.equal("0,10,25,50,100");
        expect(template(rs).metadata.annotations["autoscaling.knative.dev/min-scale"]).to.equal("1");
        expect(planTemplate(rs).metadata.annotations).to.deep.equal(template(rs).metadata.annotations);
        expect(failing(check(rs)), JSON.stringify(check(rs), null, 1)).to.deep.equal([]);
    });

    it("rendering manifests (one Service with template, traffic and marks): every rule but the digest rule passes", () => {
        const rs = fresh("render");
        expect(rs.filter((r) => r.type === TYPES.servicePatch)).to.have.length(0);
        expect(service(rs).spec.traffic).to.have.length(3);
        expect(service(rs).metadata.labels[LABELS.environment]).to.equal("production");
        // A rendering stack builds without pushing, so its manifests name images by tag only
        // (components/flaskImage.ts localOnly): the digest rule rightly fails them.
        expect(failing(check(rs)), JSON.stringify(check(rs), null, 1)).to.deep.equal([POLICY_NAMES.imageDigests]);
        expect(check(rs)[POLICY_NAMES.imageDigests].join("\n")).to.include('"127.0.0.1:5000/helloworld-python:v2", not pinned by digest');
        template(rs).spec.containers[0].image += "@sha256:" + "0".repeat(64);
        expect(failing(check(rs))).to.deep.equal([]);
        // ...and the production rules judge a rendering's plan as any other: 30% is not a step.
        planSplit(rs, 70, 30);
        expect(failing(check(rs))).to.deep.equal([POLICY_NAMES.productionRolloutSteps]);
    });

    describe("one case per row", () => {
        for (const c of CASES) {
            it(`${c.fails ? "fails" : "passes"}: ${c.name}`, () => {
                const rs = fresh(c.base);
                c.mutate(rs);
                const findings = check(rs, c.rolloutSteps);
                if (c.fails === undefined) {
                    expect(failing(findings), JSON.stringify(findings, null, 1)).to.deep.equal([]);
                    return;
                }
                expect(failing(findings), JSON.stringify(findings, null, 1)).to.deep.equal([c.fails.policy]);
                expect(findings[c.fails.policy].join("\n")).to.include(c.fails.message);
            });
        }
    });

    /** The pack has its own packages; a clear failure when they were not installed. */
    const requirePackInstalled = () => {
        if (!fs.existsSync(path.join(POLICY_DIR, "node_modules", "@pulumi", "policy", "package.json"))) {
            throw new Error("the policy pack's packages are not installed: run `npm --prefix policy ci` (scripts/test.sh should)");
        }
    };

    it("type-checks with its own tsconfig and packages (npx tsc --noEmit -p policy)", () => {
        requirePackInstalled();
        const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", "policy"], { cwd: ROOT, encoding: "utf8" });
        expect(tsc.stdout + tsc.stderr).to.equal("");
        expect(tsc.status).to.equal(0);
    });

    describe("the pack as Pulumi runs it (run-policy-pack, gRPC)", () => {
        // Loaded from the pack's own node_modules (npm --prefix policy ci), as the CLI would.
        const fromPack = (m: string) => require(require.resolve(m, { paths: [POLICY_DIR] }));
        let child: ChildProcess | undefined;
        let client: any;
        let apb: any;
        let Struct: any;
        const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // Pulumi's wire sentinel for an unknown string

        const call = <T>(method: string, request: any): Promise<T> =>
            new Promise((resolve, reject) => client[method](request, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))));
        const options = () => new apb.AnalyzerResourceOptions();
        const diagnostics = (response: any) =>
            response.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
        const analyze = async (r: Registered) => {
            const request = new apb.AnalyzeRequest();
            request.setType(r.type);
            request.setName(r.name);
            request.setUrn(urnOf(r));
            request.setProperties(Struct.fromJavaScript(r.inputs));
            request.setOptions(options());
            return diagnostics(await call("analyze", request));
        };

        before(async function () {
            requirePackInstalled();
            const grpc = fromPack("@grpc/grpc-js");
            apb = fromPack("@pulumi/pulumi/proto/analyzer_pb.js");
            const { AnalyzerClient } = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
            Struct = fromPack("google-protobuf/google/protobuf/struct_pb.js").Struct;
            // What the Node.js language host runs for `--policy-pack policy`: <engine address> <program dir>.
            const entry = path.join(POLICY_DIR, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
            child = spawn(process.execPath, [entry, "127.0.0.1:1", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
            const port = await new Promise<string>((resolve, reject) => {
                let out = "";
                let err = "";
                child!.stdout!.on("data", (d) => {
                    out += d;
                    const m = out.match(/^(\d+)\s*$/m);
                    if (m) resolve(m[1]);
                });
                child!.stderr!.on("data", (d) => (err += d));
                child!.on("exit", (code) => reject(new Error(`run-policy-pack exited ${code} before serving:\n${out}${err}`)));
            });
            client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        });

        after(() => {
            client?.close();
            child?.kill();
        });

        it("loads, and declares every policy as mandatory with the rolloutSteps config", async () => {
            const { Empty } = fromPack("google-protobuf/google/protobuf/empty_pb.js");
            const info: any = await call("getAnalyzerInfo", new Empty());
            expect(info.getName()).to.equal("knative-rollout");
            const policies = info.getPoliciesList();
            expect(policies.map((p: any) => p.getName())).to.have.members(Object.values(POLICY_NAMES));
            for (const p of policies) expect(p.getEnforcementlevel(), p.getName()).to.equal(apb.EnforcementLevel.MANDATORY);
            const steps = policies.find((p: any) => p.getName() === POLICY_NAMES.productionRolloutSteps);
            expect(steps.getConfigschema().getProperties().toJavaScript().rolloutSteps.default).to.deep.equal([...DEFAULT_ROLLOUT_STEPS]);
        });

        it("reports nothing for the program's own resources (dev), each analyzed as the engine sends it", async () => {
            for (const r of [...fresh("dev"), ...fresh("prod")]) expect(await analyze(r), `${r.type} ${r.name}`).to.deep.equal([]);
        });

        it("blocks a broken Service and a production step with mandatory violations", async () => {
            const rs = fresh("prod");
            template(rs).metadata.annotations["autoscaling.kantive.dev/target"] = "10";
            template(rs).spec.containers[0].image = "127.0.0.1:5000/helloworld-python:v2";
            const serviceResult = await analyze(rs.find((r) => r.type === TYPES.service)!);
            expect(serviceResult.map((d: any) => d.policy)).to.have.members([POLICY_NAMES.imageDigests, POLICY_NAMES.autoscalingAnnotations]);
            expect(serviceResult.every((d: any) => d.level === apb.EnforcementLevel.MANDATORY)).to.equal(true);
            expect(serviceResult.map((d: any) => d.message).join("\n")).to.include('rename it to "autoscaling.knative.dev/target"');
            planSplit(rs, 70, 30);
            const planResult = await analyze(rs.find((r) => r.type === TYPES.rollout)!);
            expect(planResult.map((d: any) => d.policy)).to.deep.equal([POLICY_NAMES.productionRolloutSteps]);
            expect(planResult[0].message).to.include("gets 30%");
        });

        it("during a preview, an image not built yet stops no rule: the rest of the template is judged, nothing is skipped", async () => {
            const rs = fresh("dev");
            template(rs).spec.containers[0].image = UNKNOWN_STRING;
            template(rs).metadata.name = "helloworld-v2";
            template(rs).metadata.annotations = { "autoscaling.knative.dev/minScale": "1" };
            const result = await analyze(rs.find((r) => r.type === TYPES.service)!);
            expect(result.map((d: any) => d.message).join("\n")).not.to.include("can't run");
            expect(result.map((d: any) => d.policy)).to.have.members([POLICY_NAMES.revisionNames, POLICY_NAMES.autoscalingAnnotations]);
            expect(result.every((d: any) => d.level === apb.EnforcementLevel.MANDATORY)).to.equal(true);
            expect(result.map((d: any) => d.message).join("\n")).to.include('"helloworld-v2"');
        });

        it("during a preview, a production plan without min-scale is refused: every value of the plan is known", async () => {
            const rs = fresh("prod");
            delete planTemplate(rs).metadata.annotations["autoscaling.knative.dev/min-scale"];
            const result = await analyze(rs.find((r) => r.type === TYPES.rollout)!);
            expect(result.map((d: any) => [d.policy, d.level])).to.deep.equal([[POLICY_NAMES.productionMinScale, apb.EnforcementLevel.MANDATORY]]);
        });
    });
});
