import { expect } from "chai";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import type { RawConfig } from "../model";
import { byType, evaluate, makeAppsDir, one, promiseOf, Registered, TYPES } from "../tests/support/program";

const appsDir = makeAppsDir(["v1", "v2", "v3"]);
const dev: RawConfig = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50", registry: "127.0.0.1:5000" };
const DIGEST_REF = /^127\.0\.0\.1:5000\/helloworld-python:v[0-9]@sha256:[0-9a-f]{64}$/;

/** Resource inputs without the serialized dynamic-provider code, which is not behaviour. */
function comparable(resources: Registered[]) {
    return resources.map(({ type, name, inputs }) => {
        const { __provider, ...rest } = inputs;
        return { type, name, inputs: rest };
    });
}

describe("the program (under Pulumi mocks)", function () {
    this.timeout(120000);

    it("builds and pushes both images and pins the Service to the candidate's digest", async () => {
        const { resources, outputs } = await evaluate(dev, appsDir);
        const images = byType(resources, TYPES.image);
        expect(images.map((i) => i.inputs.tags)).to.have.deep.members([
            ["127.0.0.1:5000/helloworld-python:v1"],
            ["127.0.0.1:5000/helloworld-python:v2"],
        ]);
        for (const image of images) {
            expect(image.inputs.push).to.equal(true);
            expect(image.inputs.platforms).to.deep.equal(["linux/amd64"]);
            expect(image.inputs.context.location).to.match(/\/v[12]$/);
        }
        const service = one(resources, TYPES.service);
        const container = service.inputs.spec.template.spec.containers[0];
        expect(container.image).to.match(DIGEST_REF).and.include(":v2@");
        expect(container.env).to.deep.equal([{ name: "TARGET", value: "World" }]);
        expect(container.env.map((e: any) => e.name)).not.to.include("PORT");
        expect(Object.values(outputs.images).length).to.equal(2);
    });

    it("creates namespace revs and a serving.knative.dev/v1 Service with the BYO template name", async () => {
        const { resources } = await evaluate(dev, appsDir);
        expect(one(resources, TYPES.namespace).inputs.metadata.name).to.equal("revs");
        const service = one(resources, TYPES.service);
        expect(service.inputs.apiVersion).to.equal("serving.knative.dev/v1");
        expect(service.inputs.metadata).to.include({ name: "helloworld-python", namespace: "revs" });
        expect(service.inputs.spec.template.metadata.name).to.equal("helloworld-python-v2");
        // The template manager never sends traffic: that is the traffic patch's field.
        expect(service.inputs.spec).not.to.have.property("traffic");
    });

    for (const p of [0, 1, 50, 99, 100]) {
        it(`applies the traffic table as its own patch at rolloutPercent ${p}`, async () => {
            const { resources, outputs } = await evaluate({ ...dev, rolloutPercent: String(p) }, appsDir);
            const patch = one(resources, TYPES.servicePatch);
            expect(patch.inputs.metadata).to.include({ name: "helloworld-python", namespace: "revs" });
            expect(patch.inputs.metadata.annotations).to.deep.equal({
                "pulumi.com/patchForce": "true",
                "pulumi.com/patchFieldManager": "knative-rollout-traffic",
            });
            expect(Object.keys(patch.inputs.spec)).to.deep.equal(["traffic"]);
            expect(patch.inputs.spec.traffic).to.deep.equal([
                { revisionName: "helloworld-python-v1", percent: 100 - p, tag: "current" },
                { revisionName: "helloworld-python-v2", percent: p, tag: "candidate" },
                { latestRevision: true, percent: 0, tag: "latest" },
            ]);
            expect(outputs.traffic).to.deep.equal(patch.inputs.spec.traffic);
        });
    }

    it("without a stable version: one image, no bootstrap, 100% to the candidate", async () => {
        const { resources, outputs } = await evaluate({ candidateVersion: "v2", registry: "127.0.0.1:5000" }, appsDir);
        expect(byType(resources, TYPES.image)).to.have.length(1);
        expect(byType(resources, TYPES.bootstrap)).to.have.length(0);
        expect(one(resources, TYPES.servicePatch).inputs.spec.traffic).to.deep.equal([
            { revisionName: "helloworld-python-v2", percent: 100, tag: "candidate" },
            { latestRevision: true, percent: 0, tag: "latest" },
        ]);
        expect(outputs.stableRevision).to.equal(undefined);
    });

    it("bootstraps with the stable version's own template, digest-pinned", async () => {
        const { resources } = await evaluate(dev, appsDir);
        const bootstrap = one(resources, TYPES.bootstrap);
        expect(bootstrap.inputs).to.include({ namespace: "revs", serviceName: "helloworld-python" });
        const template = bootstrap.inputs.stableTemplate;
        expect(template.metadata.name).to.equal("helloworld-python-v1");
        expect(template.spec.containers[0].image).to.match(DIGEST_REF).and.include(":v1@");
    });

    it("writes autoscaling as correctly spelled annotations on the revision template only", async () => {
        const { resources } = await evaluate({ ...dev, autoscaling: '{"target": 3, "minScale": 1, "maxScale": 5}' }, appsDir);
        const service = one(resources, TYPES.service);
        expect(service.inputs.spec.template.metadata.annotations).to.deep.equal({
            "autoscaling.knative.dev/target": "3",
            "autoscaling.knative.dev/min-scale": "1",
            "autoscaling.knative.dev/max-scale": "5",
        });
        expect(service.inputs.metadata.annotations).to.deep.equal({ "pulumi.com/patchForce": "true" });
    });

    it("keeps the kubeconfig a secret, in the provider and in every resource that reads the cluster", async () => {
        const { resources } = await evaluate({ ...dev, kubeconfig: "apiVersion: v1\nkind: Config\n" }, appsDir);
        expect(one(resources, TYPES.provider).secretInputs).to.include("kubeconfig");
        for (const type of [TYPES.namespaceClaim, TYPES.bootstrap, TYPES.gate]) {
            const r = one(resources, type);
            expect(r.inputs.kubeconfig, type).to.equal("apiVersion: v1\nkind: Config\n");
            expect(r.secretInputs, type).to.include("kubeconfig");
        }
    });

    it("passes every Kubernetes resource an explicit provider", async () => {
        const { resources } = await evaluate({ ...dev, registryUsername: "ci", registryPassword: "secret" }, appsDir, "s3cret");
        expect(byType(resources, TYPES.provider)).to.have.length(1);
        const kubernetes = resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(kubernetes.map((r) => r.type)).to.have.members([TYPES.namespace, TYPES.secret, TYPES.service, TYPES.servicePatch]);
        for (const r of kubernetes) {
            expect(r.provider, `${r.type} ${r.name}`).to.match(/[:$]pulumi:providers:kubernetes::k8s::/);
        }
    });

    it("with registry credentials: pushes with them and gives pods an image pull secret", async () => {
        const { resources } = await evaluate({ ...dev, registryUsername: "ci", registryPassword: "secret" }, appsDir, "s3cret");
        for (const image of byType(resources, TYPES.image)) {
            expect(image.inputs.registries).to.have.length(1);
            expect(image.inputs.registries[0]).to.include({ address: "127.0.0.1:5000", username: "ci" });
        }
        const secret = one(resources, TYPES.secret);
        expect(secret.inputs.type).to.equal("kubernetes.io/dockerconfigjson");
        const config = JSON.parse(secret.inputs.stringData[".dockerconfigjson"]);
        expect(config.auths["127.0.0.1:5000"]).to.include({ username: "ci", password: "s3cret" });
        const template = one(resources, TYPES.service).inputs.spec.template;
        expect(template.spec.imagePullSecrets).to.deep.equal([{ name: "helloworld-python-registry" }]);
    });

    it("exports the URL, both revision names, the traffic table and the tag URLs", async () => {
        const { outputs } = await evaluate(dev, appsDir);
        expect(outputs.candidateRevision).to.equal("helloworld-python-v2");
        expect(outputs.stableRevision).to.equal("helloworld-python-v1");
        const tagUrls = await new Promise((r) => outputs.tagUrls.apply(r));
        expect(tagUrls).to.have.keys("current", "candidate", "latest");
    });

    it("a traffic-only change touches nothing but the traffic patch's spec.traffic (the gate that checks it, and the plan the policy pack judges)", async () => {
        const at50 = comparable((await evaluate({ ...dev, rolloutPercent: "50" }, appsDir)).resources);
        const at80 = comparable((await evaluate({ ...dev, rolloutPercent: "80" }, appsDir)).resources);
        expect(at80.map((r) => `${r.type}::${r.name}`)).to.deep.equal(at50.map((r) => `${r.type}::${r.name}`));
        const changed = at50.filter((r, i) => JSON.stringify(r) !== JSON.stringify(at80[i])).map((r) => r.type);
        expect(changed).to.have.members([TYPES.rollout, TYPES.servicePatch, TYPES.gate]);
        const patch50 = at50.find((r) => r.type === TYPES.servicePatch)!;
        const patch80 = at80.find((r) => r.type === TYPES.servicePatch)!;
        expect({ ...patch80.inputs, spec: undefined }).to.deep.equal({ ...patch50.inputs, spec: undefined });
        expect(patch80.inputs.spec.traffic.map((t: any) => t.percent)).to.deep.equal([20, 80, 0]);
        const gate50 = at50.find((r) => r.type === TYPES.gate)!;
        const gate80 = at80.find((r) => r.type === TYPES.gate)!;
        expect({ ...gate80.inputs, traffic: undefined }).to.deep.equal({ ...gate50.inputs, traffic: undefined });
    });

    it("renders a Service that Knative's published schema accepts", async () => {
        const { resources } = await evaluate(dev, appsDir);
        const service = one(resources, TYPES.service);
        const traffic = one(resources, TYPES.servicePatch);
        const merged = new Service({
            metadata: service.inputs.metadata,
            spec: { ...service.inputs.spec, traffic: traffic.inputs.spec.traffic },
        });
        expect(() => merged.validate()).not.to.throw();
    });

    it("labels the traffic patch with the environment and allowed steps, never the Service (whose changes re-send the template)", async () => {
        const { resources } = await evaluate({ ...dev, environment: "production", allowedRolloutSteps: "[0, 10, 50, 100]" }, appsDir);
        const patch = one(resources, TYPES.servicePatch);
        expect(patch.inputs.metadata.labels).to.deep.equal({ "knative-rollout.dev/environment": "production" });
        expect(patch.inputs.metadata.annotations).to.include({ "knative-rollout.dev/allowed-rollout-steps": "0,10,50,100" });
        const service = one(resources, TYPES.service);
        expect(service.inputs.metadata).not.to.have.property("labels");
        expect(Object.keys(service.inputs.metadata.annotations)).to.deep.equal(["pulumi.com/patchForce"]);
    });

    it("moving a stack to another environment or step list changes only the traffic patch (and the plan)", async () => {
        const before = comparable((await evaluate(dev, appsDir)).resources);
        const after = comparable((await evaluate({ ...dev, environment: "production", allowedRolloutSteps: "[0, 50, 100]" }, appsDir)).resources);
        const changed = before.filter((r, i) => JSON.stringify(r) !== JSON.stringify(after[i])).map((r) => r.type);
        expect(changed).to.deep.equal([TYPES.rollout, TYPES.servicePatch]);
    });

    it("with renderYamlToDirectory: renders through the provider, builds without pushing, and skips the cluster-side steps", async () => {
        const { resources, outputs } = await evaluate({ ...dev, renderYamlToDirectory: "rendered", verify: '{"address": "10.0.0.1:80"}' }, appsDir);
        const provider = one(resources, TYPES.provider);
        expect(provider.inputs.renderYamlToDirectory).to.equal("rendered");
        expect(provider.inputs.kubeconfig).to.equal("");
        expect(String(provider.inputs.deleteUnreachable)).to.equal("true");
        // A rendering writes no credentials: no image pull Secret is registered (its name stays in the template).
        const withCredentials = await evaluate({ ...dev, renderYamlToDirectory: "rendered", registryUsername: "ci", registryPassword: "secret" }, appsDir, "s3cret");
        expect(byType(withCredentials.resources, TYPES.secret)).to.have.length(0);
        const rendered = withCredentials.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(JSON.stringify(rendered.map((r) => r.inputs))).not.to.include("s3cret");
        expect(one(withCredentials.resources, TYPES.service).inputs.spec.template.spec.imagePullSecrets).to.deep.equal([{ name: "helloworld-python-registry" }]);
        for (const type of [TYPES.bootstrap, TYPES.gate, TYPES.pin, TYPES.verifier]) {
            expect(byType(resources, type), type).to.have.length(0);
        }
        for (const image of byType(resources, TYPES.image)) {
            expect(image.inputs).to.include({ push: false, load: true });
            expect(image.inputs.cacheFrom).to.deep.equal([]);
        }
        // One Service with template and traffic: the provider renders a patch into its target's
        // file, which would leave the rendered Service without its template.
        expect(byType(resources, TYPES.servicePatch)).to.have.length(0);
        const service = one(resources, TYPES.service);
        expect(service.inputs.metadata).to.deep.equal({
            name: "helloworld-python",
            namespace: "revs",
            labels: { "knative-rollout.dev/environment": "dev" },
        });
        // Only a push gives a registry digest: the template runs the tag the build loaded.
        expect(service.inputs.spec.template.spec.containers[0].image).to.equal("127.0.0.1:5000/helloworld-python:v2");
        expect(service.inputs.spec.traffic.map((t: any) => t.percent)).to.deep.equal([50, 50, 0]);
        expect(await promiseOf(outputs.url)).to.equal(undefined);
    });
});
