/**
 * Names Knative derives from ours, and the limits its webhook enforces on them
 * (knative.dev/serving pkg/apis/serving/v1, k8s.io/apimachinery validation).
 */

/** Kubernetes' DNS-1035 label: what Service names, revision names and traffic tags must be. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_LABEL_LENGTH = 63;

/** Why `value` is not a DNS-1035 label, or undefined when it is one. */
export function dns1035Problem(value: string): string | undefined {
    if (value.length === 0) {
        return "must not be empty";
    }
    if (value.length > MAX_LABEL_LENGTH) {
        return `must be at most ${MAX_LABEL_LENGTH} characters (got ${value.length})`;
    }
    if (!DNS_1035_LABEL.test(value)) {
        return "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";
    }
    return undefined;
}

/**
 * The bring-your-own revision name of a version: `<service>-<version>`. Knative requires the
 * `<service>-` prefix, and the name must itself be a DNS-1035 label of at most 63 characters.
 */
export function revisionName(serviceName: string, version: string): string {
    return `${serviceName}-${version}`;
}

/** The first DNS label of a tag's URL (config-network `tag-template` default `{{.Tag}}-{{.Name}}`). */
export function tagHostLabel(tag: string, serviceName: string): string {
    return `${tag}-${serviceName}`;
}
