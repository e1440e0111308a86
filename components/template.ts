/**
 * The revision template (`spec.template`) of a version. The same function builds the stable
 * revision (bootstrap) and the candidate (the Service), so a version's revision is identical
 * whichever path created it; that is what lets Knative accept a rollback that reuses a name.
 */
import type { IService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import type { Autoscaling } from "./config";
import { revisionName } from "./naming";

export type RevisionTemplate = NonNullable<NonNullable<IService["spec"]>["template"]>;

/** Knative's autoscaling annotation keys (serving pkg/apis/autoscaling/register.go), kebab-case. */
export const AUTOSCALING_ANNOTATIONS = {
    target: "autoscaling.knative.dev/target",
    minScale: "autoscaling.knative.dev/min-scale",
    maxScale: "autoscaling.knative.dev/max-scale",
} as const;

export function autoscalingAnnotations(autoscaling: Autoscaling): Record<string, string> {
    const annotations: Record<string, string> = {};
    for (const key of Object.keys(AUTOSCALING_ANNOTATIONS) as (keyof Autoscaling)[]) {
        const value = autoscaling[key];
        if (value !== undefined) {
            annotations[AUTOSCALING_ANNOTATIONS[key]] = String(value);
        }
    }
    return annotations;
}

export interface TemplateInputs {
    serviceName: string;
    version: string;
    /** Digest-pinned image reference (`repo:tag@sha256:...`). */
    image: string;
    target: string;
    autoscaling: Autoscaling;
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

/**
 * Only what we decide goes in; Knative's defaulting fills in the rest (container name, readiness
 * probe) according to the cluster's config. The program never re-sends an unchanged template
 * (see components/knativeService.ts), so it does not need to restate those defaults.
 * `PORT` is never set: Knative reserves it and tells the container which port to listen on.
 */
export function revisionTemplate(t: TemplateInputs): RevisionTemplate {
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
        },
    };
}
