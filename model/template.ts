/**
 * The revision template (`spec.template`) of a version. The same function builds the stable
 * revision (bootstrap) and the candidate (the Service), so a version's revision is identical
 * whichever path created it; that is what lets Knative accept a rollback that reuses a name.
 */
import type { IService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import { AUTOSCALING } from "./contract";
import { revisionName } from "./naming";

export type RevisionTemplate = NonNullable<NonNullable<IService["spec"]>["template"]>;

export interface Autoscaling {
    /** `autoscaling.knative.dev/target`: soft concurrency target per replica. */
    target?: number;
    /** `autoscaling.knative.dev/min-scale`. */
    minScale?: number;
    /** `autoscaling.knative.dev/max-scale`; 0 means unlimited. */
    maxScale?: number;
}

export function autoscalingAnnotations(autoscaling: Autoscaling): Record<string, string> {
    const annotations: Record<string, string> = {};
    for (const key of Object.keys(AUTOSCALING.keys) as (keyof Autoscaling)[]) {
        const value = autoscaling[key];
        if (value !== undefined) {
            annotations[AUTOSCALING.keys[key]] = String(value);
        }
    }
    return annotations;
}

/**
 * The container's security context, restricted as Kubernetes' "restricted" Pod Security Standard
 * asks. Knative warns on every apply without it ("Kubernetes default value is insecure") and
 * applies the same values itself under `secure-pod-defaults`; stating them makes the revision
 * the same on every cluster. The images run as a numeric non-root user, so runAsNonRoot holds.
 */
export const RESTRICTED_SECURITY_CONTEXT = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** A revision template whose image is of type `Image` (a string, or the program's Output of one). */
export interface TemplateWith<Image> {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: {
        containers: { image: Image; env: { name: string; value: string }[]; securityContext: typeof RESTRICTED_SECURITY_CONTEXT }[];
        imagePullSecrets?: { name: string }[];
    };
}

export interface TemplateInputs<Image = string> {
    serviceName: string;
    version: string;
    /** Digest-pinned image reference (`repo:tag@sha256:...`). */
    image: Image;
    target: string;
    autoscaling: Autoscaling;
    /** Name of the image pull Secret, when the registry needs credentials. */
    imagePullSecret?: string;
}

/**
 * Only what we decide goes in; Knative's defaulting fills in the rest (container name, readiness
 * probe) according to the cluster's config. The program never re-sends an unchanged template
 * (see components/knative/service.ts), so it does not need to restate those defaults.
 * `PORT` is never set: Knative reserves it and tells the container which port to listen on.
 *
 * Generic in the image: the program passes the build's output, so that everything but the image
 * is known in a preview (the policy pack judges the template before anything is sent).
 */
export function revisionTemplate<Image = string>(t: TemplateInputs<Image>): TemplateWith<Image> {
    const annotations = autoscalingAnnotations(t.autoscaling);
    return {
        metadata: {
            name: revisionName(t.serviceName, t.version),
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: {
            containers: [
                {
                    image: t.image,
                    env: [{ name: "TARGET", value: t.target }],
                    securityContext: RESTRICTED_SECURITY_CONTEXT,
                },
            ],
            ...(t.imagePullSecret !== undefined ? { imagePullSecrets: [{ name: t.imagePullSecret }] } : {}),
        },
    };
}
