/**
 * e2e:down leaves nothing behind: runs `bash e2e/up.sh` (the whole cluster, built if need be), then
 * `bash e2e/down.sh`, and checks each thing the harness makes on the host:
 *   processes (the PID files' and any whose command line names the run dir), the network namespace
 *   and its veth, mounts under the run dir (kubelet's root, pod volumes, container root filesystems),
 *   the cgroups (kubelet's kubepods under the harness's cgroup root, in every hierarchy), iptables
 *   rules on the host naming the harness's addresses or interfaces, and /run/containerd.
 *
 *   npx mocha --no-config --require ts-node/register/transpile-only e2e/teardown.test.ts
 *
 * Root only (as the harness). E2E_TEARDOWN_BEFORE_DOWN, a shell command run between up and down,
 * exists to prove that the checks catch a leftover, e.g.
 *   E2E_TEARDOWN_BEFORE_DOWN='iptables -A INPUT -s $E2E_NODE_IP -j ACCEPT' npx mocha ...   (must fail)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const E2E = __dirname;

function bash(script: string, timeoutMs = 60_000): { code: number; out: string } {
    const r = spawnSync("bash", ["-c", script], { cwd: path.join(E2E, ".."), encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The harness's names, from the same lib/common.sh the scripts use. */
function harnessNames(): Record<string, string> {
    const names = ["RUN_DIR", "PIDS", "NETNS", "VETH_HOST", "SUBNET", "POD_CIDR", "POD_BRIDGE", "CGROUP_ROOT", "NODE_DIR"];
    const r = bash(`source e2e/lib/common.sh && for v in ${names.join(" ")}; do echo "$v=\${!v}"; done; echo "HOST_DIRS=\${HOST_DIRS[*]}"`);
    if (r.code !== 0) throw new Error(`sourcing e2e/lib/common.sh failed:\n${r.out}`);
    return Object.fromEntries(r.out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function cgroupMounts(): string[] {
    return fs.readFileSync("/proc/self/mounts", "utf8").split("\n")
        .map((l) => l.split(" "))
        .filter((f) => f[2] === "cgroup" || f[2] === "cgroup2")
        .map((f) => f[1]);
}

function mountsUnder(dir: string): string[] {
    return fs.readFileSync("/proc/self/mounts", "utf8").split("\n")
        .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
        .filter((t) => t === dir || t.startsWith(`${dir}/`));
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

function processesNaming(dir: string): string[] {
    const found: string[] = [];
    for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        if (Number(p) === process.pid) continue;
        let cmd: string;
        try {
            cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").trim();
        } catch {
            continue;
        }
        if (cmd.includes(`${dir}/`)) found.push(`${p}: ${cmd.slice(0, 200)}`);
    }
    return found;
}

/** Host iptables rules (nft and legacy backends, every table) that name one of the needles. */
function hostRulesNaming(needles: string[]): string[] {
    const rules: string[] = [];
    for (const save of ["iptables-save", "iptables-legacy-save", "iptables-nft-save"]) {
        const r = spawnSync(save, [], { encoding: "utf8" });
        if (r.status !== 0 || !r.stdout) continue;
        for (const line of r.stdout.split("\n")) {
            if (needles.some((n) => line.includes(n))) rules.push(`${save}: ${line}`);
        }
    }
    return rules;
}

describe("e2e:down leaves nothing behind", function () {
    this.timeout(90 * 60 * 1000);
    const n = harnessNames();
    let pids: { name: string; pid: number }[] = [];
    let hostDirs: { path: string; before: boolean }[] = [];
    let kubepodsBefore: string[] = [];
    let upLog = "";
    let downLog = "";
    let downCode = -1;

    before(function () {
        if (process.getuid?.() !== 0) this.skip();
        hostDirs = n.HOST_DIRS.split(" ").map((p) => ({ path: p, before: fs.existsSync(p) }));
        kubepodsBefore = cgroupMounts().filter((m) => fs.existsSync(path.join(m, "kubepods")));
        const up = bash("bash e2e/up.sh", 80 * 60 * 1000);
        upLog = up.out;
        if (up.code !== 0) throw new Error(`e2e/up.sh failed (${up.code}):\n${up.out.slice(-4000)}`);
        // A running revision, so that there are pods to leave behind: containers, shims, pod
        // volumes, rootfs and shm mounts, pod network namespaces, kubepods cgroups.
        const pod = bash(`set -a; . "${n.RUN_DIR}/env.sh"; set +a; . e2e/lib/dataplane.sh
            ns=teardown-$(date +%s); kubectl create namespace $ns >/dev/null
            kubectl apply -f - >/dev/null 2>&1 <<EOF
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello, namespace: $ns}
spec:
  template:
    metadata: {annotations: {autoscaling.knative.dev/min-scale: "1"}}
    spec: {containers: [{image: $E2E_HELLO_IMAGE}]}
EOF
            wait_for 180 "ksvc hello Ready" ksvc_ready $ns hello && sleep 1 && fetch "$(host_of hello $ns)"`, 240_000);
        expect(pod.code, `a revision for the teardown to clean up:\n${pod.out}`).to.equal(0);
        expect(pod.out).to.include("rev=hello-");
        // Before down: what must be gone after it.
        pids = fs.readdirSync(n.PIDS).filter((f) => f.endsWith(".pid"))
            .map((f) => ({ name: f.replace(/\.pid$/, ""), pid: Number(fs.readFileSync(path.join(n.PIDS, f), "utf8").trim()) }));
        expect(pids.length, "PID files after up").to.be.greaterThan(10);
        expect(pids.filter((p) => alive(p.pid)).length, "daemons alive after up").to.equal(pids.length);
        expect(mountsUnder(n.RUN_DIR).length, "mounts under the run dir with a pod running").to.be.greaterThan(3);
        expect(cgroupMounts().some((m) => fs.existsSync(path.join(m, n.CGROUP_ROOT, "kubepods"))), "kubepods cgroups after up").to.equal(true);
        const sabotage = process.env.E2E_TEARDOWN_BEFORE_DOWN;
        if (sabotage) {
            const s = bash(`set -a; . "${n.RUN_DIR}/env.sh"; set +a; ${sabotage}`);
            console.log(`      (E2E_TEARDOWN_BEFORE_DOWN ran: rc ${s.code} ${s.out.trim()})`);
        }
        const down = bash("bash e2e/down.sh", 10 * 60 * 1000);
        downLog = down.out;
        downCode = down.code;
    });

    it("no daemon from the PID files is alive", () => {
        expect(pids.filter((p) => alive(p.pid)).map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    });

    it("no process names the run dir on its command line (containers' shims, pods)", () => {
        expect(processesNaming(n.RUN_DIR)).to.deep.equal([]);
    });

    it("the network namespace is gone", () => {
        const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
        expect(r.stdout.split("\n").map((l) => l.split(" ")[0])).to.not.include(n.NETNS);
        expect(fs.existsSync(`/var/run/netns/${n.NETNS}`)).to.equal(false);
    });

    it("the veth is gone", () => {
        expect(spawnSync("ip", ["link", "show", n.VETH_HOST]).status, `ip link show ${n.VETH_HOST}`).to.not.equal(0);
    });

    it("nothing is mounted under the run dir (kubelet's root, pod volumes, rootfs, shm, pod netns)", () => {
        expect(mountsUnder(n.RUN_DIR)).to.deep.equal([]);
    });

    it("the node's state dir is removed", () => {
        expect(fs.existsSync(n.NODE_DIR)).to.equal(false);
    });

    it("no cgroup the harness made is left (its root and kubepods, in every hierarchy)", () => {
        const left = cgroupMounts().flatMap((m) => [path.join(m, n.CGROUP_ROOT), path.join(m, "kubepods")])
            .filter((d) => fs.existsSync(d) && !kubepodsBefore.some((m) => d === path.join(m, "kubepods")));
        expect(left).to.deep.equal([]);
    });

    it("no iptables rule on the host names the harness's subnet, pod network or veth", () => {
        expect(hostRulesNaming([`${n.SUBNET}.`, n.POD_CIDR.replace(/\.0\/24$/, "."), n.VETH_HOST, n.POD_BRIDGE])).to.deep.equal([]);
    });

    it("the host paths the node writes to (/run/containerd, /var/lib/kubelet, ...) are gone unless they were there before", () => {
        expect(hostDirs.filter((d) => !d.before && fs.existsSync(d.path)).map((d) => d.path)).to.deep.equal([]);
    });

    it("down.sh itself reports nothing left and exits 0", () => {
        expect(downLog).to.not.include("left behind");
        expect(downCode, `down.sh said:\n${downLog}\nup.sh said:\n${upLog.slice(-1500)}`).to.equal(0);
    });
});
