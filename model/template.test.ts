import { expect } from "chai";
import { autoscalingAnnotations, RESTRICTED_SECURITY_CONTEXT, revisionTemplate } from "./template";

const base = { serviceName: "helloworld-python", version: "v2", image: "r/helloworld-python:v2@sha256:" + "a".repeat(64), target: "World", autoscaling: {} };

describe("revision template", () => {
    it("is named by the version, runs the pinned image with TARGET, restricted, and sets no PORT", () => {
        expect(revisionTemplate(base)).to.deep.equal({
            metadata: { name: "helloworld-python-v2" },
            spec: { containers: [{ image: base.image, env: [{ name: "TARGET", value: "World" }], securityContext: RESTRICTED_SECURITY_CONTEXT }] },
        });
    });

    it("writes autoscaling as Knative's kebab-case annotations, numbers as strings, only those set", () => {
        expect(autoscalingAnnotations({ target: 2.5, minScale: 0, maxScale: 10 })).to.deep.equal({
            "autoscaling.knative.dev/target": "2.5",
            "autoscaling.knative.dev/min-scale": "0",
            "autoscaling.knative.dev/max-scale": "10",
        });
        expect(autoscalingAnnotations({ minScale: 1 })).to.deep.equal({ "autoscaling.knative.dev/min-scale": "1" });
        expect(revisionTemplate({ ...base, autoscaling: { minScale: 1 } }).metadata.annotations).to.deep.equal({ "autoscaling.knative.dev/min-scale": "1" });
    });

    it("names the image pull Secret when there is one", () => {
        expect(revisionTemplate({ ...base, imagePullSecret: "helloworld-python-registry" }).spec.imagePullSecrets).to.deep.equal([{ name: "helloworld-python-registry" }]);
        expect(revisionTemplate(base).spec).not.to.have.property("imagePullSecrets");
    });

    it("keeps any image value as it is (the program passes the build's output; the plan a stand-in)", () => {
        const image = { pending: true };
        expect(revisionTemplate({ ...base, image }).spec.containers[0].image).to.equal(image);
    });
});
