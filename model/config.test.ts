import { expect } from "chai";
import { ConfigError, parseConfig, RawConfig } from "./config";

const apps = new Set(["v1", "v2", "v3"]);
const ctx = { versionExists: (v: string) => apps.has(v) };
const good: RawConfig = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: "50", registry: "127.0.0.1:5000" };

function problemsOf(raw: RawConfig): string[] {
    try {
        parseConfig(raw, ctx);
    } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).problems;
    }
    throw new Error("expected the config to be rejected");
}

describe("stack config", () => {
    it("accepts the dev stack and fills in defaults", () => {
        const c = parseConfig(good, ctx);
        expect(c).to.include({
            serviceName: "helloworld-python",
            namespace: "revs",
            target: "World",
            stableVersion: "v1",
            candidateVersion: "v2",
            rolloutPercent: 50,
            imagePlatform: "linux/amd64",
            awaitReady: true,
            readyTimeoutSeconds: 300,
        });
        expect(c.autoscaling).to.deep.equal({});
    });

    it("lets a candidate-only stack omit rolloutPercent (it takes 100%)", () => {
        const c = parseConfig({ candidateVersion: "v2", registry: "r.example.com/team" }, ctx);
        expect(c.rolloutPercent).to.equal(100);
        expect(c.stableVersion).to.equal(undefined);
    });

    it("defaults rolloutPercent to 100 (Pulumi.yaml's default), and treats Pulumi's empty defaults as unset", () => {
        const c = parseConfig({ ...good, rolloutPercent: undefined, pythonImage: "", kubeconfig: "", registryUsername: "", registryPassword: undefined, autoscaling: "{}" }, ctx);
        expect(c.rolloutPercent).to.equal(100);
        expect(c).to.include({ pythonImage: undefined, kubeconfig: undefined, registryUsername: undefined, hasRegistryPassword: false });
        expect(c.autoscaling).to.deep.equal({});
    });

    it("parses autoscaling given as an object", () => {
        const c = parseConfig({ ...good, autoscaling: '{"target": 3, "minScale": 1, "maxScale": "10"}' }, ctx);
        expect(c.autoscaling).to.deep.equal({ target: 3, minScale: 1, maxScale: 10 });
    });

    it("reads rolloutPercent -0 as 0 (never a -0 percent in the table)", () => {
        const c = parseConfig({ ...good, rolloutPercent: "-0" }, ctx);
        expect(Object.is(c.rolloutPercent, 0)).to.equal(true);
    });

    for (const pct of ["0", "1", "99", "100"]) {
        it(`accepts rolloutPercent ${pct}`, () => {
            expect(parseConfig({ ...good, rolloutPercent: pct }, ctx).rolloutPercent).to.equal(+pct);
        });
    }

    // One row per bad input: the raw change, and a fragment the message must contain.
    const rejected: [string, RawConfig, string][] = [
        ["rolloutPercent -1", { rolloutPercent: "-1" }, 'rolloutPercent must be an integer from 0 to 100 (the candidate\'s share of requests), got "-1"'],
        ["rolloutPercent 101", { rolloutPercent: "101" }, 'rolloutPercent must be an integer from 0 to 100 (the candidate\'s share of requests), got "101"'],
        ["rolloutPercent 50.5", { rolloutPercent: "50.5" }, 'got "50.5"'],
        ["rolloutPercent abc", { rolloutPercent: "abc" }, 'got "abc"'],
        ["missing candidateVersion", { candidateVersion: undefined }, "candidateVersion is required"],
        ["a version without an app folder", { candidateVersion: "v9" }, 'candidateVersion "v9" has no app: expected a Dockerfile in apps/v9/'],
        ["a stable version without an app folder", { stableVersion: "v0" }, 'stableVersion "v0" has no app'],
        ["a version that is not a DNS-1035 label", { candidateVersion: "V2.0" }, 'candidateVersion "V2.0" must be a DNS-1035 label'],
        ["a version starting with a digit", { stableVersion: "1" }, 'stableVersion "1" must be a DNS-1035 label'],
        ["a service name that is not a DNS-1035 label", { serviceName: "Hello_World" }, 'serviceName "Hello_World" must be a DNS-1035 label'],
        ["a namespace that is not a DNS-1035 label", { namespace: "revs.prod" }, 'namespace "revs.prod" must be a DNS-1035 label'],
        ["stable equal to candidate", { stableVersion: "v2" }, 'stableVersion and candidateVersion are both "v2"'],
        ["rolloutPercent below 100 without stableVersion", { stableVersion: undefined, rolloutPercent: "30" }, "rolloutPercent is 30 but stableVersion is not set"],
        ["a revision name over 63 characters", { serviceName: "s".repeat(50), candidateVersion: "v2" + "x".repeat(12) }, "characters long; Knative allows at most 63"],
        ["a tag host over 63 characters", { serviceName: "a" + "b".repeat(54) }, 'makes the tag host "candidate-abbb'],
        ["minScale > maxScale", { autoscaling: '{"minScale": 5, "maxScale": 2}' }, "autoscaling.minScale (5) must not exceed autoscaling.maxScale (2)"],
        ["target 0", { autoscaling: '{"target": 0}' }, "autoscaling.target must be a number greater than 0"],
        ["target negative", { autoscaling: '{"target": -3}' }, "autoscaling.target must be a number greater than 0"],
        ["a misspelt autoscaling key", { autoscaling: '{"minscale": 1}' }, "autoscaling.minscale is not a known key; allowed: target, minScale, maxScale"],
        ["a minScale above int32 (Knative's type)", { autoscaling: '{"minScale": 3000000000}' }, "autoscaling.minScale must be at most 2147483647 (Knative reads it as a 32-bit integer)"],
        ["a fractional minScale", { autoscaling: '{"minScale": 1.5}' }, "autoscaling.minScale must be a whole number, at least 0"],
        ["autoscaling that is not an object", { autoscaling: "[1,2]" }, "autoscaling must be an object"],
        ["missing registry", { registry: undefined }, "registry is required"],
        ["a registry with a scheme", { registry: "https://r.example.com" }, 'registry "https://r.example.com" must be host[:port][/path]'],
        ["a username without a password", { registryUsername: "ci" }, "registryUsername and registryPassword go together"],
        ["awaitReady not a boolean", { awaitReady: "yes" }, 'awaitReady must be true or false, got "yes"'],
        ["readyTimeoutSeconds 0", { readyTimeoutSeconds: "0" }, "readyTimeoutSeconds must be a whole number of seconds, at least 1"],
        ["a bad platform", { imagePlatform: "amd64" }, 'imagePlatform "amd64" must be os/arch'],
        ["an environment that is not a label value", { environment: "prod env" }, 'environment "prod env" must be a Kubernetes label value'],
        ["rolloutPercent outside the allowed steps", { allowedRolloutSteps: "[0, 10, 25, 100]" }, "rolloutPercent 50 is not one of this stack's allowedRolloutSteps (0, 10, 25, 100)"],
        ["allowed steps that are not integers 0..100", { allowedRolloutSteps: "[10, 150]" }, "allowedRolloutSteps must be a list of integers from 0 to 100"],
        ["allowed steps that are not a list", { allowedRolloutSteps: '"10,50"' }, "allowedRolloutSteps must be a list of integers"],
        ["a verify key that does not exist", { verify: '{"adress": "10.0.0.1:80"}' }, "verify.adress is not a known key; allowed: url, address, host, maxRequests, timeLimitSeconds, concurrency, gate"],
        ["a verify url without a scheme", { verify: '{"url": "helloworld.example.com"}' }, "verify.url must be an http:// or https:// URL"],
        ["a verify address without a port", { verify: '{"address": "10.0.0.1"}' }, "verify.address must be the ingress as host:port"],
        ["a verify budget of 0 requests", { verify: '{"address": "10.0.0.1:80", "maxRequests": 0}' }, "verify.maxRequests must be a whole number, at least 1"],
        ["verify that is not an object", { verify: '"yes"' }, "verify must be an object such as"],
        ["verify without waiting for readiness", { verify: '{"address": "10.0.0.1:80"}', awaitReady: "false" }, "verify needs awaitReady true"],
        ["a verify gate that is not a boolean", { verify: '{"address": "10.0.0.1:80", "gate": "no"}' }, 'verify.gate must be true or false, got "no"'],
        // One rule for production names (model/contract.ts): lower case, so no spelling escapes the pack.
        ["a capitalised production environment", { environment: "Production" }, 'environment "Production" must be lower case ("production", a production environment)'],
        ["an upper-case production environment", { environment: "PRODUCTION" }, 'environment "PRODUCTION" must be lower case ("production", a production environment)'],
        ["an upper-case prod environment", { environment: "Prod" }, 'environment "Prod" must be lower case ("prod", a production environment)'],
        ["a capitalised other environment", { environment: "Staging" }, 'environment "Staging" must be lower case ("staging")'],
        // Secrets stay secrets.
        ["a registry password in plaintext", { registryUsername: "ci", registryPassword: "plaintext" }, "registryPassword is stored in plaintext in the stack file; store it encrypted: pulumi config set --secret registryPassword"],
        // Namespaces the stack must never take.
        ["the kube-system namespace", { namespace: "kube-system" }, 'namespace "kube-system" is a system namespace (default, kube-*, knative-*)'],
        ["the default namespace", { namespace: "default" }, 'namespace "default" is a system namespace'],
        ["Knative's own namespace", { namespace: "knative-serving" }, 'namespace "knative-serving" is a system namespace'],
        ["useExistingNamespace not a boolean", { useExistingNamespace: "maybe" }, 'useExistingNamespace must be true or false, got "maybe"'],
        // Exactly what the verifier accepts (model/verify.ts), so nothing fails after traffic moved.
        ["a verify concurrency above the verifier's", { verify: '{"address": "10.0.0.1:80", "concurrency": 2000}' }, "verify.concurrency must be a whole number, at least 1 and at most 1024, got 2000"],
        ["a verify address port above 65535", { verify: '{"address": "10.0.0.1:70000"}' }, "verify.address must be the ingress as host:port"],
        ["a malformed verify url", { verify: '{"url": "http://[::1"}' }, "verify.url must be an http:// or https:// URL"],
        ["a verify url with credentials", { verify: '{"url": "http://u:hunter2@a.test/"}' }, "verify.url must not contain credentials"],
        ["a verify time limit a timer cannot hold", { verify: '{"address": "10.0.0.1:80", "timeLimitSeconds": 3000000}' }, "verify.timeLimitSeconds must be a whole number, at least 1 and at most 3600"],
        // Bounds that only failed after traffic had moved.
        ["a registry port above 65535", { registry: "127.0.0.1:70000" }, 'registry "127.0.0.1:70000" has port 70000; a port is from 1 to 65535'],
        ["a registry user name with a colon", { registryUsername: "ci:bot", registryPassword: "secret" }, 'registryUsername "ci:bot" must not contain ":"'],
        ["a readiness wait of more than an hour", { readyTimeoutSeconds: "100000" }, "readyTimeoutSeconds must be a whole number of seconds, at least 1 and at most 3600"],
    ];
    for (const [what, change, message] of rejected) {
        it(`rejects ${what}`, () => {
            const problems = problemsOf({ ...good, ...change });
            expect(problems.join("\n")).to.include(message);
        });
    }

    it("defaults environment to dev, allows any step, and leaves the verifier and rendering off", () => {
        const c = parseConfig({ ...good, environment: "", allowedRolloutSteps: "[]", verify: "{}", renderYamlToDirectory: "" }, ctx);
        expect(c).to.include({ environment: "dev", verify: undefined, renderYamlToDirectory: undefined });
        expect(c.allowedRolloutSteps).to.deep.equal([]);
    });

    it("reads a production stack: its environment, allowed steps (sorted, unique) and verifier budget", () => {
        const c = parseConfig({
            ...good,
            rolloutPercent: "10",
            environment: "production",
            allowedRolloutSteps: "[100, 0, 10, 25, 50, 10]",
            verify: '{"address": "192.0.2.10:80", "host": "helloworld-python.revs.example.com", "maxRequests": 500}',
        }, ctx);
        expect(c.environment).to.equal("production");
        expect(c.allowedRolloutSteps).to.deep.equal([0, 10, 25, 50, 100]);
        expect(c.verify).to.deep.equal({
            address: "192.0.2.10:80",
            host: "helloworld-python.revs.example.com",
            maxRequests: 500,
            timeLimitSeconds: 120,
            concurrency: 8,
            gate: true,
        });
    });

    it("reads renderYamlToDirectory, and then does not need readiness for verify", () => {
        const c = parseConfig({ ...good, renderYamlToDirectory: " rendered ", awaitReady: "false", verify: '{"address": "10.0.0.1:80"}' }, ctx);
        expect(c.renderYamlToDirectory).to.equal("rendered");
    });

    it("reports every problem at once, naming the project namespace", () => {
        try {
            parseConfig({ ...good, rolloutPercent: "150", autoscaling: '{"target": 0}', registry: "" }, ctx);
            expect.fail("should have thrown");
        } catch (err) {
            const e = err as ConfigError;
            expect(e.problems).to.have.length(3);
            expect(e.message).to.match(/^invalid stack configuration \(namespace knative-rollout:\):\n {2}- /);
        }
    });
});
