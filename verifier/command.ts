/**
 * The verifier's command line, as the program registers it for its post-deploy gate: the flags
 * are the CLI's own (verifier/cli.ts parses exactly these; a test round-trips them), and the line
 * runs through `/bin/sh -c`, so every word is quoted.
 */

export interface GateCommand {
    url: string;
    address?: string;
    host?: string;
    /** Expected share per version, stable first. */
    expect: readonly (readonly [string, number])[];
    maxRequests: number;
    timeLimitSeconds: number;
    concurrency: number;
}

/** The arguments after `npm run verify --`. */
export function verifyArgs(c: GateCommand): string[] {
    return [
        "--url", c.url,
        ...(c.address !== undefined ? ["--address", c.address] : []),
        ...(c.host !== undefined ? ["--host", c.host] : []),
        "--expect", c.expect.map(([version, percent]) => `${version}=${percent}`).join(","),
        "--max-requests", String(c.maxRequests),
        "--time-limit", String(c.timeLimitSeconds),
        "--concurrency", String(c.concurrency),
    ];
}

/** POSIX shell single-quoting: the command runs through `/bin/sh -c`. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The whole command line the gate runs in the project directory. */
export function verifyCommandLine(c: GateCommand): string {
    return ["npm", "run", "--silent", "verify", "--", ...verifyArgs(c)].map(shellQuote).join(" ");
}
