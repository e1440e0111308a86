/**
 * Rule: every container image of a revision template is `repo[:tag]@sha256:<64 hex>`.
 * In a preview that builds a new image the reference is not known yet (only the build knows the
 * digest): the rule then passes that one image, and judges it again in the update, before the
 * Service or the bootstrap is sent. The plan's templates carry a stand-in for each image, so the
 * rule does not apply to them.
 */
import { JUDGED, known, type PolicyResource, templatesOf, UNKNOWN, what } from "./resource";

const DIGEST_PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

export function* imageDigestViolations(resource: PolicyResource): Generator<string> {
    if (resource.type !== JUDGED.service && resource.type !== JUDGED.bootstrap) return;
    for (const { path, template } of templatesOf(resource)) {
        for (const list of ["containers", "initContainers"]) {
            const containers = template?.spec?.[list];
            if (!Array.isArray(containers)) continue;
            for (let i = 0; i < containers.length; i++) {
                const image = known(() => containers[i]?.image);
                if (image === UNKNOWN || (typeof image === "string" && DIGEST_PINNED.test(image))) continue;
                yield (
                    `${what(resource)}: ${path}.spec.${list}[${i}].image is ${JSON.stringify(image)}, not pinned by digest; ` +
                    `use "<repository>[:tag]@sha256:<64 hex digits>" (the image's pushed ref): a tag can move, and then the ` +
                    `same revision name would stand for different code.`
                );
            }
        }
    }
}
