/**
 * The rollout plan: every decision the program makes from a validated config, computed once
 * (revision names, the traffic table, the split users should see, what the stack says about
 * itself on the Service, the templates but for their images). Components take the plan and only
 * hold resources; the policy pack judges the plan itself, which Pulumi registers before anything
 * else (components/knativeRollout.ts), so its rules decide in a preview and before the first
 * resource of an update.
 */
import type { RolloutConfig } from "./config";
import { ANNOTATIONS, isProduction, LABELS } from "./contract";
import { revisionName } from "./naming";
import { type Autoscaling, revisionTemplate, type TemplateWith } from "./template";
import { expectedSplit, trafficTable, TrafficTarget } from "./traffic";

export interface RevisionPlan {
    /** The app version (a folder apps/<version>). */
    version: string;
    /** Its bring-your-own revision name, `<service>-<version>`. */
    revision: string;
}

export interface RolloutPlan {
    serviceName: string;
    namespace: string;
    environment: string;
    production: boolean;
    candidate: RevisionPlan;
    stable?: RevisionPlan;
    rolloutPercent: number;
    allowedRolloutSteps: number[];
    /** The Service's `spec.traffic`. */
    traffic: TrafficTarget[];
    /** The share each version should get, stable first. */
    expectedSplit: [version: string, percent: number][];
    /**
     * What the stack says about itself on the Service (its environment, its allowed steps). Only
     * the traffic patch carries it: a change to the Service resource re-sends the whole template
     * under its unchanged name, which Knative rejects.
     */
    stackMetadata: { labels: Record<string, string>; annotations: Record<string, string> };
    /** The app's `TARGET` and the autoscaling settings: what, with the image, makes a template. */
    target: string;
    autoscaling: Autoscaling;
    /** The image pull Secret's name, when the registry needs credentials. */
    imagePullSecret?: string;
    /** Each version's revision template with a stand-in for its image, for the policy pack. */
    templates: Record<string, TemplateWith<string>>;
}

/** The stand-in for an image in the plan's templates: only the build knows the digest. */
export const IMAGE_BUILT_BY_STACK = "<built and pinned by digest by this stack>";

/** The image pull Secret of a Service: one per Service, in its namespace. */
export const pullSecretName = (serviceName: string) => `${serviceName}-registry`;

export function planRollout(config: RolloutConfig): RolloutPlan {
    const revisionOf = (version: string): RevisionPlan => ({ version, revision: revisionName(config.serviceName, version) });
    const candidate = revisionOf(config.candidateVersion);
    const stable = config.stableVersion !== undefined ? revisionOf(config.stableVersion) : undefined;
    const traffic = trafficTable({
        stableRevision: stable?.revision,
        candidateRevision: candidate.revision,
        candidatePercent: config.rolloutPercent,
    });
    const versionOf = new Map([candidate, ...(stable ? [stable] : [])].map((r) => [r.revision, r.version]));
    const imagePullSecret = config.registryUsername !== undefined && config.hasRegistryPassword ? pullSecretName(config.serviceName) : undefined;
    const plan: Omit<RolloutPlan, "templates"> = {
        serviceName: config.serviceName,
        namespace: config.namespace,
        environment: config.environment,
        production: isProduction(config.environment),
        candidate,
        ...(stable !== undefined ? { stable } : {}),
        rolloutPercent: config.rolloutPercent,
        allowedRolloutSteps: config.allowedRolloutSteps,
        traffic,
        expectedSplit: expectedSplit(traffic, (revision) => versionOf.get(revision)!),
        stackMetadata: {
            labels: { [LABELS.environment]: config.environment },
            annotations: config.allowedRolloutSteps.length > 0 ? { [ANNOTATIONS.allowedSteps]: config.allowedRolloutSteps.join(",") } : {},
        },
        target: config.target,
        autoscaling: config.autoscaling,
        ...(imagePullSecret !== undefined ? { imagePullSecret } : {}),
    };
    const templates = Object.fromEntries(
        [...(stable ? [stable] : []), candidate].map((r) => [r.version, templateFor(plan, r, IMAGE_BUILT_BY_STACK)]),
    );
    return { ...plan, templates };
}

/** A version's revision template with its image: the same for the bootstrap and the Service. */
export function templateFor<Image>(
    plan: Pick<RolloutPlan, "serviceName" | "target" | "autoscaling" | "imagePullSecret">,
    revision: RevisionPlan,
    image: Image,
): TemplateWith<Image> {
    return revisionTemplate({
        serviceName: plan.serviceName,
        version: revision.version,
        image,
        target: plan.target,
        autoscaling: plan.autoscaling,
        imagePullSecret: plan.imagePullSecret,
    });
}
