/** The registry the images are pushed to, as credentials and pull secrets address it. */

/** `host[:port]` of a `host[:port]/path` registry prefix: what credentials are keyed by. */
export function registryHost(registry: string): string {
    return registry.split("/")[0];
}

/** A `kubernetes.io/dockerconfigjson` payload for the registry the images are pushed to. */
export function dockerConfigJson(registry: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [registryHost(registry)]: { username, password, auth } } });
}
