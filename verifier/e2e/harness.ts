/**
 * Loopback harness for the verifier's end-to-end suite: the two app versions under gunicorn and an
 * nginx that splits requests between them with split_clients on ${request_id}, as an ingress does.
 * Everything binds 127.0.0.1 on ports 22000-22099 and lives in one temp dir; every PID is written
 * there so verifier/e2e/test.sh can stop what a crashed run left behind.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.join(__dirname, "..", "..");
export const PORTS = { v1: 22011, v2: 22012, dead: 22013 } as const;

export interface Split {
    /** nginx listen port. */
    port: number;
    /** Share of requests per upstream ("v1", "v2" or "dead"), percent, summing to 100. */
    weights: Record<string, number>;
}

export class Harness {
    readonly dir: string;
    private readonly children: ChildProcess[] = [];

    constructor() {
        this.dir = fs.mkdtempSync(path.join(process.env.VERIFY_E2E_DIR ?? os.tmpdir(), "run-"));
    }

    private start(name: string, cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess {
        const log = fs.openSync(path.join(this.dir, `${name}.log`), "a");
        const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        if (child.pid === undefined) throw new Error(`could not start ${name}`);
        const pidFile = path.join(process.env.VERIFY_E2E_DIR ?? this.dir, `${name}-${child.pid}.pid`);
        fs.writeFileSync(pidFile, String(child.pid));
        // Once it has exited, its PID may be reused: test.sh must not signal it then.
        child.once("exit", () => fs.rmSync(pidFile, { force: true }));
        this.children.push(child);
        return child;
    }

    log(name: string): string {
        try {
            return fs.readFileSync(path.join(this.dir, `${name}.log`), "utf8");
        } catch {
            return "";
        }
    }

    /** One gunicorn per version, from the repo's venv, configured as in the image. */
    startApp(version: "v1" | "v2"): void {
        this.start(`gunicorn-${version}`, path.join(ROOT, ".venv", "bin", "gunicorn"), ["--config", "gunicorn.conf.py", "app:app"], {
            cwd: path.join(ROOT, "apps", version),
            env: {
                PORT: String(PORTS[version]),
                LISTEN_HOST: "127.0.0.1",
                WEB_CONCURRENCY: "1",
                GUNICORN_THREADS: "8",
                GUNICORN_GRACEFUL_TIMEOUT: "1",
                TARGET: "e2e",
            },
        });
    }

    /** nginx with one server per split; master_process off, so one PID is the whole server. */
    startNginx(splits: Split[]): void {
        const conf = nginxConf(this.dir, splits);
        const confPath = path.join(this.dir, "nginx.conf");
        fs.writeFileSync(confPath, conf);
        const nginx = fs.existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        const t = spawnSync(nginx, ["-t", "-p", this.dir, "-c", confPath, "-e", "stderr"], { encoding: "utf8" });
        if (t.status !== 0) throw new Error(`nginx rejected its config:\n${t.stderr}\n${conf}`);
        this.start("nginx", nginx, ["-p", this.dir, "-c", confPath, "-e", "stderr"], { cwd: this.dir });
    }

    /** Stops every process started, SIGTERM then SIGKILL after a grace period. */
    async stop(): Promise<void> {
        await Promise.all(
            this.children.map(
                (c) =>
                    new Promise<void>((resolve) => {
                        if (c.exitCode !== null || c.signalCode !== null) return resolve();
                        const kill = setTimeout(() => c.kill("SIGKILL"), 3000);
                        c.once("exit", () => {
                            clearTimeout(kill);
                            resolve();
                        });
                        c.kill("SIGTERM");
                    }),
            ),
        );
    }
}

export function nginxConf(dir: string, splits: Split[]): string {
    const maps = splits.map((s) => {
        const entries = Object.entries(s.weights).filter(([, w]) => w > 0);
        // split_clients: listed percentages, the last taking the rest ("*").
        const lines = entries.map(([up, w], i) => (i === entries.length - 1 ? `        *   ${up};` : `        ${w}%   ${up};`));
        return `    split_clients "\${request_id}" $backend_${s.port} {\n${lines.join("\n")}\n    }`;
    });
    const servers = splits.map(
        (s) => `    server {
        listen 127.0.0.1:${s.port};
        location / {
            proxy_pass http://$backend_${s.port};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
            proxy_next_upstream off;
        }
    }`,
    );
    return `# written by verifier/e2e/harness.ts
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    upstream v1 { server 127.0.0.1:${PORTS.v1}; keepalive 16; }
    upstream v2 { server 127.0.0.1:${PORTS.v2}; keepalive 16; }
    # Nothing listens here: a version whose pods are all gone.
    upstream dead { server 127.0.0.1:${PORTS.dead}; }
${maps.join("\n")}
${servers.join("\n")}
}
`;
}

/** Polls until GET / on the port answers 200, or throws after the deadline. */
export async function waitReady(port: number, what: string, harness: Harness, logName: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const req = http.get({ host: "127.0.0.1", port, path: "/", timeout: 1000 }, (res) => {
                res.resume();
                resolve(res.statusCode === 200);
            });
            req.on("error", () => resolve(false));
            req.on("timeout", () => req.destroy());
        });
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${what} on 127.0.0.1:${port} not ready after ${timeoutMs} ms; log:\n${harness.log(logName)}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}
