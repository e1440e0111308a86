/** Rule: `spec.traffic` percents are integers 0..100 summing to exactly 100 (Knative's route validation). */
import { describeTarget, isJudged, isObject, type PolicyResource, trafficOf, what } from "./resource";

export function* trafficPercentViolations(resource: PolicyResource): Generator<string> {
    if (!isJudged(resource)) return;
    const found = trafficOf(resource);
    if (found === undefined) return; // the Service's template manager carries no traffic
    const { path, traffic } = found;
    if (!Array.isArray(traffic)) {
        yield `${what(resource)}: ${path} must be a list of traffic targets, got ${typeof traffic}.`;
        return;
    }
    let sum = 0;
    let allValid = true;
    const shares: string[] = [];
    for (let i = 0; i < traffic.length; i++) {
        const target = traffic[i];
        // Knative reads a missing percent as 0.
        const percent = isObject(target) && target.percent !== undefined && target.percent !== null ? target.percent : 0;
        if (typeof percent !== "number" || !Number.isInteger(percent) || percent < 0 || percent > 100) {
            allValid = false;
            yield (
                `${what(resource)}: ${describeTarget(target, i, path)} has percent ${JSON.stringify(percent)}; ` +
                `each percent must be an integer from 0 to 100. Set rolloutPercent to an integer 0..100 ` +
                `(the stable revision gets 100 - rolloutPercent).`
            );
            continue;
        }
        sum += percent;
        shares.push(`${isObject(target) ? target.revisionName ?? target.tag ?? "latest" : "?"} ${percent}`);
    }
    if (allValid && sum !== 100) {
        yield (
            `${what(resource)}: ${path} percents sum to ${sum} (${shares.join(", ")}), want exactly 100; ` +
            `Knative rejects any other total. Give the stable revision 100 - rolloutPercent and the candidate rolloutPercent, ` +
            `or without stableVersion give the candidate 100.`
        );
    }
}
