/**
 * Rule: autoscaling annotations are spelled as Knative reads them and sit on the revision
 * template: on a Service's (or the traffic patch's) own metadata Knative's webhook rejects them.
 */
import { AUTOSCALING } from "../../model/contract";
import { isJudged, isObject, JUDGED, type PolicyResource, templatesOf, what } from "./resource";

/** Whether an annotation key is meant for Knative's autoscaler (spelled right or not). */
export function isAutoscalingKey(key: string): boolean {
    return key.toLowerCase().includes("autoscaling.");
}

/** The known annotation name a misspelt one most likely means (case, dashes and underscores aside). */
function suggestAutoscalingName(name: string): string | undefined {
    const squash = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
    if (AUTOSCALING.known.includes(name)) return name;
    return AUTOSCALING.known.find((known) => squash(known) === squash(name));
}

/** What is wrong with an autoscaling annotation key's spelling, or undefined when it is right. */
export function autoscalingKeyProblem(key: string): string | undefined {
    if (!isAutoscalingKey(key)) return undefined;
    const slash = key.indexOf("/");
    const domain = slash < 0 ? key : key.slice(0, slash);
    const name = slash < 0 ? "" : key.slice(slash + 1);
    const suggestion = suggestAutoscalingName(name);
    if (domain !== AUTOSCALING.domain) {
        const fixed = suggestion ?? (name || "<name>");
        return `annotation "${key}" is not in the "${AUTOSCALING.domain}" domain, so Knative ignores it; rename it to "${AUTOSCALING.domain}/${fixed}".`;
    }
    if (AUTOSCALING.known.includes(name)) return undefined;
    if (AUTOSCALING.camelCase[name] !== undefined) {
        return `annotation "${key}" is the old camelCase spelling; use "${AUTOSCALING.domain}/${AUTOSCALING.camelCase[name]}" (the kebab-case key takes precedence, so both together disagree silently).`;
    }
    return (
        `annotation "${key}" is not one Knative reads, so it has no effect; ` +
        (suggestion ? `did you mean "${AUTOSCALING.domain}/${suggestion}"? ` : "") +
        `Known: ${AUTOSCALING.known.join(", ")}.`
    );
}

export function* autoscalingAnnotationViolations(resource: PolicyResource): Generator<string> {
    if (!isJudged(resource)) return;
    if (resource.type === JUDGED.service || resource.type === JUDGED.servicePatch) {
        const annotations = resource.props.metadata?.annotations;
        if (isObject(annotations)) {
            for (const key of Object.keys(annotations)) {
                if (!isAutoscalingKey(key)) continue;
                yield (
                    `${what(resource)}: autoscaling annotation "${key}" is on the Service's own metadata.annotations; ` +
                    `Knative reads autoscaling only from spec.template.metadata.annotations (and rejects it here). ` +
                    `Move it to the revision template (config key autoscaling: pulumi config set --path autoscaling.<key> <value>).`
                );
                const problem = autoscalingKeyProblem(key);
                if (problem) yield `${what(resource)}: metadata.annotations: ${problem}`;
            }
        }
    }
    for (const { path, template } of templatesOf(resource)) {
        const annotations = template?.metadata?.annotations;
        if (!isObject(annotations)) continue;
        for (const key of Object.keys(annotations)) {
            const problem = autoscalingKeyProblem(key);
            if (problem) yield `${what(resource)}: ${path}.metadata.annotations: ${problem}`;
        }
    }
}
