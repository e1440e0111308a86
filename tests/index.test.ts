/**
 * The program's entry point as `pulumi up` runs it: config read from the stack, and a bad value
 * stopping the run with a RunError before a single resource is registered.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

const INDEX = path.join(__dirname, "..", "index.ts");

async function runIndex(config: Record<string, string>, secretKeys: string[] = []): Promise<{ registered: string[]; error?: Error }> {
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push(args.type);
                return { id: `${args.name}-id`, state: { ...args.inputs, ref: "r/x:v@sha256:" + "0".repeat(64) } };
            },
            call: (args) => args.inputs,
        },
        "knative-rollout",
        "test",
        false,
    );
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [`knative-rollout:${k}`, v])),
        secretKeys.map((k) => `knative-rollout:${k}`),
    );
    delete require.cache[require.resolve(INDEX)];
    try {
        require(INDEX);
    } catch (error) {
        return { registered, error: error as Error };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { registered };
}

describe("index.ts (the stack's entry point)", function () {
    this.timeout(60000);
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("stops with a RunError naming the key, and registers nothing, on a bad value", async () => {
        const { registered, error } = await runIndex({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "150", registry: "127.0.0.1:5000" });
        expect(error).to.be.instanceOf(pulumi.RunError);
        expect(error!.message).to.include('rolloutPercent must be an integer from 0 to 100 (the candidate\'s share of requests), got "150"');
        expect(registered).to.deep.equal([]);
    });

    it("stops on a version that has no app folder", async () => {
        const { registered, error } = await runIndex({ candidateVersion: "v404", registry: "127.0.0.1:5000" });
        expect(error).to.be.instanceOf(pulumi.RunError);
        expect(error!.message).to.include('candidateVersion "v404" has no app: expected a Dockerfile in apps/v404/');
        expect(registered).to.deep.equal([]);
    });

    it("treats a username without the password secret as a config error", async () => {
        const { error } = await runIndex({ candidateVersion: "v2", registry: "127.0.0.1:5000", registryUsername: "ci" });
        expect(error).to.be.instanceOf(pulumi.RunError);
        expect(error!.message).to.include("registryUsername and registryPassword go together");
    });

    it("refuses a registry password stored in plaintext, and takes one stored as a secret", async () => {
        const config = { candidateVersion: "v2", registry: "127.0.0.1:5000", registryUsername: "ci", registryPassword: "hunter2" };
        const plain = await runIndex(config);
        expect(plain.error).to.be.instanceOf(pulumi.RunError);
        expect(plain.error!.message).to.include("registryPassword is stored in plaintext in the stack file; store it encrypted: pulumi config set --secret registryPassword");
        expect(plain.error!.message).not.to.include("hunter2");
        expect(plain.registered).to.deep.equal([]);
        const secret = await runIndex(config, ["registryPassword"]);
        expect(secret.error).to.equal(undefined);
        expect(secret.registered).to.include("kubernetes:core/v1:Secret");
    });

    it("registers the whole stack for the committed dev config (apps/v1 and apps/v2 exist)", async () => {
        const { registered, error } = await runIndex({ stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50", registry: "127.0.0.1:5000" });
        expect(error).to.equal(undefined);
        // The rollout plan first: the policy pack judges it before any other resource.
        expect(registered[0]).to.equal("knative-rollout:index:KnativeRollout");
        expect(registered).to.include.members([
            "pulumi:providers:kubernetes",
            "docker-build:index:Image",
            "kubernetes:core/v1:Namespace",
            "kubernetes:serving.knative.dev/v1:Service",
            "kubernetes:serving.knative.dev/v1:ServicePatch",
        ]);
    });
});
