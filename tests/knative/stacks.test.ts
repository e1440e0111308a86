/**
 * Every committed stack file (`Pulumi.*.yaml` at the repository root, found at test time, so a new
 * stack is covered without touching this file) renders (`npm run render`'s code), and each Knative
 * Service in it is accepted by Knative Serving's own defaulting and validation code
 * (tests/knative/validator, the webhook's SetDefaults + Validate), on Knative's shipped config and
 * on a hardened one: `create` of the Service as the cluster ends up with it, then the `update` a
 * traffic-only change at another rolloutPercent makes. The program applies traffic with its own
 * field manager, so that update replaces `spec.traffic` on the stored object and nothing else, as
 * in tests/knative/webhook.test.ts.
 */
import { expect } from "chai";
import * as path from "node:path";
import { CONFIG_KEYS, ConfigError } from "../../model";
import { findStackFile, listStacks, loadProject, PROJECT_DIR, readStackConfig, type Rendering, renderConfig } from "../../render";
import { admit, buildValidator, Obj, Profile, PROFILES } from "./validate";

/** Runs the webhook's code; returns the stored (defaulted) object or throws Knative's message (its warnings too). */
function webhook(profile: Profile, ...op: ["create", Obj] | ["update", Obj, Obj]): Obj {
    const { stored, warnings } = admit(profile, ...op);
    if (warnings.length > 0) throw new Error(`Knative warns about the manifest:\n${warnings.join("\n")}`);
    return stored;
}

const services = (r: Rendering) => r.manifests.map((m) => m.object).filter((o) => o.apiVersion === "serving.knative.dev/v1" && o.kind === "Service");

/** Renders a stack file, with --set style overrides. */
async function render(file: string, set: Record<string, string> = {}): Promise<Rendering> {
    const project = loadProject();
    const stackFile = findStackFile(file, project.dir);
    return renderConfig(readStackConfig(project, stackFile, set), { project: project.name });
}

/**
 * The same stack at another rolloutPercent that its config accepts (another of its
 * allowedRolloutSteps, if it has them); undefined when there is none (a candidate-only stack must
 * stay at 100).
 */
async function atAnotherPercent(file: string, set: Record<string, string>, current: number): Promise<Rendering | undefined> {
    for (const p of [80, 20, 0, 100, 10, 25, 50, 90]) {
        if (p === current) continue;
        try {
            return await render(file, { ...set, rolloutPercent: String(p) });
        } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
        }
    }
    return undefined;
}

/**
 * Knative's verdict on every Service of a stack: create, then a traffic-only update at another
 * rolloutPercent (or a re-apply of the same traffic). Throws Knative's message on rejection.
 */
async function checkWithKnative(file: string, set: Record<string, string>, profile: Profile): Promise<{ created: Obj[]; updated: Obj[] }> {
    const rendering = await render(file, set);
    const found = services(rendering);
    expect(found, "a stack deploys one Knative Service").to.have.length(1);
    const service = found[0];
    const current = service.spec.traffic.find((t: Obj) => t.tag === "candidate")?.percent;
    const other = await atAnotherPercent(file, set, current);
    const next = other ? services(other)[0] : service;
    // A traffic-only change leaves the template alone: Knative would reject a changed template
    // under the same revision name, and the program never re-sends it.
    expect(next.spec.template, "the template at another rolloutPercent").to.deep.equal(service.spec.template);
    const stored = webhook(profile, "create", service);
    const updated = webhook(profile, "update", stored, { ...stored, spec: { ...stored.spec, traffic: next.spec.traffic } });
    return { created: stored.spec.traffic, updated: updated.spec.traffic };
}

describe("committed stacks render and pass Knative's validation", function () {
    this.timeout(300000);
    const stacks = listStacks();

    before(function () {
        const missing = buildValidator();
        if (missing) {
            if (process.env.CI === "true") throw new Error(`${missing}: CI must run the Knative checks of the committed stacks`);
            this.skip();
        }
    });

    it("finds the committed stack files by glob (Pulumi.dev.yaml and Pulumi.e2e.yaml at least)", () => {
        expect(stacks).to.include.members(["dev", "e2e"]);
    });

    it("Pulumi.yaml declares exactly the keys the program reads (CONFIG_KEYS)", () => {
        expect(Object.keys(loadProject().config).sort()).to.deep.equal([...CONFIG_KEYS].sort());
    });

    for (const stack of stacks) {
        const file = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
        describe(`Pulumi.${stack}.yaml`, () => {
            for (const profile of PROFILES) {
                it(`renders, and Knative accepts its Service on ${profile.name}: create, then a traffic-only update`, async () => {
                    const { created, updated } = await checkWithKnative(file, {}, profile);
                    const sum = (traffic: Obj[]) => traffic.reduce((total, t) => total + t.percent, 0);
                    expect([sum(created), sum(updated)]).to.deep.equal([100, 100]);
                    // With a stable revision there is another percent to move to, and the update moved it.
                    if (created.some((t) => t.tag === "current")) expect(updated).not.to.deep.equal(created);
                });
            }
        });
    }

    it("negative control: a Service Knative rejects fails the same check (a min-scale above int32)", async () => {
        // parseConfig refuses such a stack file first ("at most 2147483647"), so the control
        // breaks the rendered manifest instead: the check must catch what Knative rejects.
        const file = path.join(PROJECT_DIR, "Pulumi.dev.yaml");
        const service = services(await render(file))[0];
        service.spec.template.metadata.annotations = { "autoscaling.knative.dev/min-scale": "3000000000" };
        for (const profile of PROFILES) {
            expect(() => webhook(profile, "create", service), profile.name).to.throw(
                /expected 0 <= 3000000000 <= 2147483647: spec\.template\.metadata\.annotations\.autoscaling\.knative\.dev\/min-scale/,
            );
        }
    });

});
