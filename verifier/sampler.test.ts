/**
 * The sampler and verifySplit against an in-process HTTP server on 127.0.0.1: versions, errors,
 * timeouts, 5xx and unclassifiable bodies are all counted; nothing is dropped. No timings asserted.
 */
import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Outcome, sample } from "./sampler";
import { verifySplit } from "./verify";

describe("verifier sampler (loopback HTTP)", function () {
    this.timeout(30000);
    let server: http.Server;
    let base: string;
    let port: number;
    let counter = 0;
    let closedPort: number;

    before(async () => {
        server = http.createServer((req, res) => {
            const n = counter++;
            const hello = (v: string) => res.writeHead(200, { "Content-Type": "text/plain" }).end(`Hello World : ${v} !\n`);
            switch (req.url) {
                case "/v1": return hello("v1");
                case "/mix": return hello(n % 2 === 0 ? "v1" : "v2");
                // Every 50th answer is not from an app (2%): counted, and under the 5% limit.
                case "/mostly": return n % 50 === 0 ? res.writeHead(200).end("<html>default backend</html>") : hello(n % 2 === 0 ? "v1" : "v2");
                case "/500": return res.writeHead(500).end("oops");
                case "/garbage": return res.writeHead(200).end("<html>default backend</html>");
                case "/host": return res.writeHead(200).end(`Hello ${req.headers.host} : v1 !\n`);
                case "/slow": return; // never answers: the client's timeout ends it
                // Every tenth request is v2 and answers late (a revision cold-starting behind the activator).
                case "/slowtenth": return n % 10 === 0 ? void setTimeout(() => hello("v2"), 300) : hello("v1");
                case "/reset": return req.socket.destroy();
                default: return res.writeHead(404).end("404 Not Found\n");
            }
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as AddressInfo).port;
        base = `http://127.0.0.1:${port}`;
        // A port nothing listens on: bind, read it, close.
        const tmp = http.createServer();
        await new Promise<void>((r) => tmp.listen(0, "127.0.0.1", r));
        closedPort = (tmp.address() as AddressInfo).port;
        await new Promise((r) => tmp.close(r));
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
    });

    it("hands outcomes on in the order the requests were sent: a slower version is not under-counted when the observer stops early", async () => {
        counter = 0;
        const seen: string[] = [];
        const summary = await sample({
            target: { url: new URL(`${base}/slowtenth`) },
            maxRequests: 1000,
            timeLimitMs: 20000,
            timeoutMs: 5000,
            concurrency: 8,
            // Stop after 40 judged answers, as a sequential test stops once it has decided.
            onOutcome: (o) => (seen.push(o.kind === "response" ? o.body.trim() : o.kind), seen.length >= 40),
        });
        // Requests 0, 10, 20, 30 answered v2 (late); in send order they are among the first 40.
        expect(seen.filter((b) => b.endsWith("v2 !"))).to.have.length(4);
        expect(summary.completed).to.equal(40);
        expect(summary.sent).to.equal(summary.completed + summary.cancelled);
    });

    async function collect(path: string, extra: Partial<Parameters<typeof sample>[0]> = {}) {
        const outcomes: Outcome[] = [];
        const summary = await sample({
            target: { url: new URL(`${base}${path}`) },
            maxRequests: 12,
            timeLimitMs: 20000,
            timeoutMs: 5000,
            concurrency: 3,
            onOutcome: (o) => (outcomes.push(o), false),
            ...extra,
        });
        return { outcomes, summary };
    }

    it("sends exactly max-requests and passes on every answer", async () => {
        const { outcomes, summary } = await collect("/mix");
        expect(summary).to.include({ sent: 12, completed: 12, cancelled: 0, stoppedBy: "max-requests" });
        expect(outcomes.every((o) => o.kind === "response" && o.status === 200)).to.equal(true);
    });

    it("reports timeouts, connection errors and resets as errors", async () => {
        const slow = await collect("/slow", { timeoutMs: 50, maxRequests: 3 });
        expect(slow.outcomes.map((o) => (o.kind === "error" ? o.error : o.kind))).to.deep.equal(["timeout", "timeout", "timeout"]);
        const refused = await sample({ target: { url: new URL(`http://127.0.0.1:${closedPort}/`) }, maxRequests: 2, timeLimitMs: 10000, timeoutMs: 2000, concurrency: 1, onOutcome: () => false });
        expect(refused).to.include({ sent: 2, completed: 2 });
        const reset = await collect("/reset", { maxRequests: 2 });
        expect(reset.outcomes.map((o) => (o.kind === "error" ? o.error : o.kind))).to.deep.equal(["connection", "connection"]);
    });

    it("stops when the observer says so and counts what was in flight as cancelled", async () => {
        let seen = 0;
        const s = await sample({ target: { url: new URL(`${base}/mix`) }, maxRequests: 1000, timeLimitMs: 20000, timeoutMs: 5000, concurrency: 4, onOutcome: () => ++seen >= 5 });
        expect(s.completed).to.equal(5);
        expect(s.stoppedBy).to.equal("observer");
        expect(s.sent).to.equal(s.completed + s.cancelled);
    });

    it("connects to --address and sends the Host header of the URL, or --host", async () => {
        const seen: string[] = [];
        const onOutcome = (o: Outcome) => (o.kind === "response" && seen.push(o.body), false);
        const common = { maxRequests: 1, timeLimitMs: 10000, timeoutMs: 2000, concurrency: 1, onOutcome };
        await sample({ target: { url: new URL("http://svc.example.invalid/host"), address: { host: "127.0.0.1", port } }, ...common });
        await sample({ target: { url: new URL("http://svc.example.invalid/host"), address: { host: "127.0.0.1", port }, host: "other.test" }, ...common });
        expect(seen).to.deep.equal(["Hello svc.example.invalid : v1 !\n", "Hello other.test : v1 !\n"]);
    });

    const opts = { maxRequests: 2000, timeLimitSeconds: 20, timeoutMs: 2000, concurrency: 4 };

    it("matches a true 50/50 split and rejects a wrong expectation (negative control)", async () => {
        const ok = await verifySplit({ url: `${base}/mix`, expect: { v1: 50, v2: 50 }, ...opts });
        expect(ok.verdict, ok.reason).to.equal("match");
        expect(ok.exitCode).to.equal(0);
        const wrong = await verifySplit({ url: `${base}/v1`, expect: { v1: 50, v2: 50 }, ...opts });
        expect(wrong.verdict, wrong.reason).to.equal("mismatch");
        expect(wrong.exitCode).to.equal(1);
    });

    it("counts unclassifiable answers under the limit and still judges the split", async () => {
        const r = await verifySplit({ url: `${base}/mostly`, expect: { v1: 50, v2: 50 }, ...opts });
        expect(r.verdict, r.reason).to.equal("match");
        expect(r.errors.unclassifiable).to.be.greaterThan(0);
        expect(r.classified + r.errors.total).to.equal(r.requests.completed);
    });

    for (const [path, field, kind] of [["/500", "serverError", "5xx"], ["/garbage", "unclassifiable", "unclassifiable"], ["/slow", "timeout", "timeout"]] as const) {
        it(`fails with an error verdict (exit 2) when every answer is ${kind}`, async () => {
            const r = await verifySplit({ url: `${base}${path}`, expect: { v1: 50, v2: 50 }, ...opts, timeoutMs: 50 });
            expect(r.verdict).to.equal("error");
            expect(r.exitCode).to.equal(2);
            expect(r.errors[field]).to.be.greaterThan(0);
            expect(r.reason).to.match(/failed or were unclassifiable/);
        });
    }

    it("reports an unreachable address as a connectivity failure", async () => {
        const r = await verifySplit({ url: `http://127.0.0.1:${closedPort}/`, expect: { v1: 100 }, ...opts });
        expect(r.verdict).to.equal("error");
        expect(r.errors.connection).to.be.greaterThan(0);
        expect(r.errors.examples.join(" ")).to.match(/ECONNREFUSED/);
    });

    it("falls back to the exact test when the request budget runs out first, and says so", async () => {
        const r = await verifySplit({ url: `${base}/mix`, expect: { v1: 50, v2: 50 }, ...opts, maxRequests: 40 });
        expect(r.method).to.equal("exact-fallback");
        expect(r.reason).to.match(/--max-requests ran out before the sequential test decided/);
        expect(r.requests.sent).to.equal(40);
    });
});
