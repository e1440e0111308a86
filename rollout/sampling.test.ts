/**
 * A stage on live HTTP traffic, against an in-process server on 127.0.0.1 that plays an ingress
 * with two revisions behind it (the Host header picks the scenario): the sampler's latency and
 * x-app-version per outcome and its AbortSignal, then whole stages judged by runStage. Latencies
 * are real (the slow candidate sleeps 100 ms), so no timing is asserted beyond the judgment.
 */
import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { sample, type Outcome } from "../verifier/sampler";
import { DEFAULT_HEALTH_SETTINGS, planHealth } from "./judge";
import { alphaPlan, splitSettingsAt } from "./plan";
import { runStage, warmUp } from "./sampling";
import type { RequestRecord, StageSpec } from "./stage";

describe("rollout sampling on loopback HTTP", function () {
    this.timeout(60000);
    let server: http.Server;
    let port: number;
    const counters = new Map<string, number>();

    before(async () => {
        server = http.createServer((req, res) => {
            const host = (req.headers.host ?? "").replace(/:\d+$/, "");
            const n = counters.get(host) ?? 0;
            counters.set(host, n + 1);
            const hello = (v: string, headers: Record<string, string> = {}) => res.writeHead(200, { "Content-Type": "text/plain", ...headers }).end(`Hello World : ${v} !\n`);
            // Candidate share in percent from the host's first label, e.g. p25 / bad25 / slow25.
            const m = /^(p|bad|slow|tag|badtag)(\d*)\./.exec(host);
            if (host.startsWith("header.")) return res.writeHead(503, { "x-app-version": "v3" }).end("upstream failed\n");
            if (host.startsWith("hello.")) return hello("v2", { "X-App-Version": " v9 " });
            if (host.startsWith("never.")) return; // never answers
            if (host.startsWith("fail.")) return res.writeHead(500).end("Internal Server Error\n");
            if (host.startsWith("cold.")) return n < 3 ? res.writeHead(503).end("starting\n") : hello("v3");
            if (!m) return res.writeHead(404).end("no route\n");
            const [, kind, share] = m;
            const candidate = kind === "tag" || kind === "badtag" || (n * Number(share)) % 100 < Number(share);
            if (!candidate) return hello("v2");
            if (kind === "bad" || kind === "badtag") {
                // Every 10th candidate answer: a bare 500 naming no version (as a crashing app gives).
                const c = counters.get(`${host}#c`) ?? 0;
                counters.set(`${host}#c`, c + 1);
                if (c % 10 === 9) return res.writeHead(500).end("Internal Server Error\n");
            }
            if (kind === "slow") return void setTimeout(() => hello("v3"), 100);
            return hello("v3");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as AddressInfo).port;
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
    });

    const target = (host: string) => ({ url: `http://${host}/`, address: `127.0.0.1:${port}` });

    it("each outcome carries its latency and the x-app-version header", async () => {
        const seen: Outcome[] = [];
        const common = { maxRequests: 2, timeLimitMs: 10000, timeoutMs: 2000, concurrency: 1, onOutcome: (o: Outcome) => (seen.push(o), false) };
        await sample({ target: { url: new URL(`http://hello.test/`), address: { host: "127.0.0.1", port } }, ...common });
        await sample({ target: { url: new URL(`http://never.test/`), address: { host: "127.0.0.1", port } }, ...common, timeoutMs: 50, maxRequests: 1 });
        expect(seen.map((o) => o.kind)).to.deep.equal(["response", "response", "error"]);
        for (const o of seen) expect(o.latencyMs).to.be.a("number").and.at.least(0);
        expect(seen[0]).to.include({ appVersion: "v9", status: 200 });
        expect(seen[2].latencyMs).to.be.at.least(40);
    });

    it("stops on its AbortSignal, counting what was in flight as cancelled", async () => {
        const stop = new AbortController();
        let n = 0;
        const s = await sample({
            target: { url: new URL(`http://p50.test/`), address: { host: "127.0.0.1", port } },
            maxRequests: 100000,
            timeLimitMs: 20000,
            timeoutMs: 2000,
            concurrency: 4,
            signal: stop.signal,
            onOutcome: () => (++n === 20 && stop.abort(), false),
        });
        expect(s.stoppedBy).to.equal("aborted");
        expect(s.completed).to.be.at.least(20).and.below(100);
        expect(s.sent).to.equal(s.completed + s.cancelled);
        const already = await sample({ target: { url: new URL(`http://p50.test/`), address: { host: "127.0.0.1", port } }, maxRequests: 5, timeLimitMs: 1000, timeoutMs: 1000, concurrency: 1, signal: stop.signal, onOutcome: () => false });
        expect(already).to.include({ sent: 0, stoppedBy: "aborted" });
    });

    const steps = [10, 25, 50, 100];
    const alpha = alphaPlan(steps, 0.05);
    const health = planHealth(steps, { ...DEFAULT_HEALTH_SETTINGS, alpha: alpha.health });
    const versions = { stable: "v2", candidate: "v3" };
    const stepSpec = (i: number): StageSpec => {
        const percent = steps[i];
        return { kind: "step", label: `step ${i + 1}`, percent, versions, health: health.stepPlans[i], expect: { v2: 100 - percent, v3: percent }, split: splitSettingsAt(percent, alpha), maxRequests: health.stepPlans[i].maxRequests };
    };
    const dark: StageSpec = { kind: "dark-launch", label: "dark launch", percent: 0, versions, health: health.darkLaunch, expect: { v3: 100 }, split: splitSettingsAt(100, alpha), maxRequests: 2000 };
    const budget = { timeLimitMs: 30000, timeoutMs: 2000, concurrency: 8 };

    it("a healthy 25% step passes on the split and on health; every request reaches onRecord in order", async () => {
        const records: RequestRecord[] = [];
        let progress = 0;
        const o = await runStage({ spec: stepSpec(1), target: target("p25.test"), budget, onRecord: (r) => records.push(r), onProgress: () => progress++, progressMs: 0 });
        expect(o.verdict, o.reasons.join("\n")).to.equal("pass");
        expect(o.split.verdict).to.equal("match");
        expect(records).to.have.length(o.requests.completed);
        expect(records.every((r, i) => i === 0 || r.t >= records[i - 1].t)).to.equal(true);
        expect(progress).to.be.greaterThan(0);
        const share = o.split.versions.find((v) => v.version === "v3")!;
        expect(share.observedPercent).to.be.closeTo(25, 3);
    });

    it("a candidate answering 500 to 10% of its requests fails a 50% step (the 500s name no version: charged to it)", async () => {
        const o = await runStage({ spec: stepSpec(2), target: target("bad50.test"), budget });
        expect(o.verdict, o.reasons.join("\n")).to.equal("fail");
        expect(o.health!.evidence.unattributedErrors).to.be.greaterThan(0);
        expect(o.reasons.join("\n")).to.match(/error rate, candidate − stable.*ABORT/);
    });

    it("a candidate 100 ms slower fails a 50% step on the latency test", async () => {
        const o = await runStage({ spec: stepSpec(2), target: target("slow50.test"), budget });
        expect(o.verdict, o.reasons.join("\n")).to.equal("fail");
        expect(o.reasons.join("\n")).to.match(/latency p50, candidate − stable.*ABORT/);
        expect(o.requests.completed).to.be.below(500);
    });

    it("the dark launch through the tag host: the candidate alone passes; one answering 500 to 10% fails", async () => {
        const ok = await runStage({ spec: dark, target: target("tag.test"), budget });
        expect(ok.verdict, ok.reasons.join("\n")).to.equal("pass");
        const bad = await runStage({ spec: dark, target: target("badtag.test"), budget });
        expect(bad.verdict, bad.reasons.join("\n")).to.equal("fail");
        // A host with no route (404, no version) cannot pass: nothing is attributed to the candidate.
        const none = await runStage({ spec: dark, target: target("nowhere.test"), budget });
        expect(none.verdict).to.equal("fail");
    });

    it("warms up one request at a time until the app answers (a 503 is the proxy's); the warm-up is neither judged nor recorded", async () => {
        const w = await warmUp(target("cold.test"), 5000, 1000);
        expect(w).to.deep.equal({ ok: true, requests: 4 });
        const records: RequestRecord[] = [];
        const o = await runStage({ spec: dark, target: target("cold.test"), budget, warmUpMs: 5000, onRecord: (r) => records.push(r) });
        expect(o.verdict, o.reasons.join("\n")).to.equal("pass");
        expect(records.every((r) => r.status === 200)).to.equal(true);
        expect(await warmUp(target("never.test"), 300, 100)).to.include({ ok: false });
        // The app's own 500 ends the warm-up: it is up (and the judged sample will see its errors).
        expect(await warmUp(target("fail.test"), 5000, 1000)).to.deep.equal({ ok: true, requests: 1 });
    });

    it("a stage stopped by its signal before deciding is interrupted, never a pass", async () => {
        const stop = new AbortController();
        const o = await runStage({ spec: stepSpec(0), target: target("p10.test"), budget, signal: stop.signal, onRecord: () => stop.abort() });
        expect(o.verdict).to.equal("interrupted");
        expect(o.requests.stoppedBy).to.equal("aborted");
    });

    it("a stage whose time runs out undecided is inconclusive", async () => {
        const o = await runStage({ spec: stepSpec(0), target: target("p10.test"), budget: { ...budget, timeLimitMs: 300 } });
        expect(o.verdict).to.equal("inconclusive");
        expect(o.requests.stoppedBy).to.equal("time-limit");
        expect(o.reasons[0]).to.match(/could not judge/);
    });
});
