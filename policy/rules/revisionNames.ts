/** Rule: pinned revision names and template names start with `<service>-` (Knative's BYO-name rule). */
import { isObject, isJudged, type PolicyResource, serviceNameOf, templatesOf, trafficOf, what } from "./resource";

export function* revisionNameViolations(resource: PolicyResource): Generator<string> {
    if (!isJudged(resource)) return;
    const service = serviceNameOf(resource);
    if (typeof service !== "string" || service === "") {
        yield `${what(resource)}: the Service has no name, so its revision names cannot be checked; set metadata.name.`;
        return;
    }
    const prefix = `${service}-`;
    const check = (path: string, name: unknown, fix: string): string | undefined => {
        if (typeof name === "string" && name.startsWith(prefix) && name.length > prefix.length) return undefined;
        return (
            `${what(resource)}: ${path} is ${JSON.stringify(name)}, which does not start with "${prefix}"; ` +
            `Knative accepts and routes to only revisions named "${prefix}<version>". ${fix}`
        );
    };
    for (const { path, template } of templatesOf(resource)) {
        const name = template?.metadata?.name;
        if (name === undefined) continue; // a generated name: nothing pinned to check
        const message = check(`${path}.metadata.name`, name, `Build the name with model/naming.ts revisionName(serviceName, version).`);
        if (message) yield message;
    }
    const found = trafficOf(resource);
    if (found !== undefined && Array.isArray(found.traffic)) {
        for (let i = 0; i < found.traffic.length; i++) {
            const target = found.traffic[i];
            if (!isObject(target) || target.revisionName === undefined) continue; // latestRevision entries name nothing
            const message = check(
                `${found.path}[${i}].revisionName`,
                target.revisionName,
                `Set stableVersion/candidateVersion (the program names revisions ${prefix}<version>) rather than naming revisions by hand.`,
            );
            if (message) yield message;
        }
    }
}
