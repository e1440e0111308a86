// Command pulumi-language-nodejs is TEST INFRASTRUCTURE for knative-rollout's
// end-to-end harness (e2e/); it is not shipped and not used in production.
//
// Why it exists: the harness builds the real Pulumi CLI from the Go module
// proxy, but the upstream Node.js language host module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is
// refused by the proxy, and the engine needs a language host to run a
// TypeScript program. This is a minimal host written against sdk/v3: it
// implements just enough of the LanguageRuntime gRPC service to run a
// Node.js/TypeScript program through @pulumi/pulumi's own cmd/run, and policy
// packs through @pulumi/pulumi's cmd/run-policy-pack (other plugins through
// cmd/run-plugin). The program itself therefore runs exactly as it would under
// the upstream host; only plugin discovery (GetRequiredPlugins/Packages) is
// left out, because the harness installs the plugins it needs into
// PULUMI_HOME itself. Built by e2e/build.sh; go.mod/go.sum pin sdk/v3 to the
// CLI's version.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Exit code used by @pulumi/pulumi when it already printed an actionable message.
const exitCodeUserActionable = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	flag.String("tracing", "", "ignored")
	flag.String("runtime", "nodejs", "ignored (only nodejs is supported)")
	showVersion := flag.Bool("version", false, "print version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	h := &host{}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancel := make(chan bool)
	go func() { <-ctx.Done(); stop(); close(cancel) }()

	if h.engineAddress != "" {
		// Exit when the engine goes away.
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("healthcheck: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages reports nothing: providers are loaded on demand by the
// engine, and the e2e harness installs plugins itself.
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

type options struct {
	typescript   bool
	tsconfigpath string
	nodeargs     []string
}

func parseOptions(m map[string]any) (options, error) {
	o := options{typescript: true}
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("typescript option must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfigpath = v
	}
	if v, ok := m["nodeargs"].(string); ok && v != "" {
		o.nodeargs = strings.Fields(v)
	}
	return o, nil
}

// resolveModule asks node where a module resolves from the given directory.
func resolveModule(node, dir, mod string) (string, error) {
	cmd := exec.Command(node, "-e", fmt.Sprintf("console.log(require.resolve(%q))", mod))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("could not resolve %s from %s (run npm install there): %s", mod, dir, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on $PATH: " + err.Error()}, nil
	}
	info := req.GetInfo()
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	runPath, err = resolveModule(node, info.GetProgramDirectory(), runPath)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Config keys are passed in the legacy "<ns>:config:<name>" form, which
	// every @pulumi/pulumi version understands.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, _ := json.Marshal(cfg)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigpath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigpath)
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	cmd.Stdout = struct{ *os.File }{os.Stdout}
	cmd.Stderr = struct{ *os.File }{os.Stderr}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ee.ExitCode() == exitCodeUserActionable {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", ee.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older engines
	}
	cmd := exec.CommandContext(server.Context(), "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s failed: %w", dir, err)
	}
	return closer.Close()
}

// RunPlugin runs Node.js policy packs (kind "analyzer") through
// @pulumi/pulumi/cmd/run-policy-pack and other plugins through cmd/run-plugin.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return err
	}
	env := req.GetEnv()
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigpath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigpath)
	}
	isPolicy := req.GetKind() == string(apitype.AnalyzerPlugin)
	mod := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicy {
		mod = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runPath, err := resolveModule(node, dir, mod)
	if err != nil {
		return err
	}
	args := append([]string{runPath}, opts.nodeargs...)
	if isPolicy {
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		args = append(args, dir)
		args = append(args, req.GetArgs()...)
	}

	var proxy *sdk.PolicyProxy
	if isPolicy {
		// The engine talks to the policy pack through this proxy; it also gives
		// us the stack configuration to hand to the pack via the environment.
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		sc, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if sc != nil {
			set := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			set("PULUMI_NODEJS_ORGANIZATION", sc.GetOrganization())
			set("PULUMI_NODEJS_PROJECT", sc.GetProject())
			set("PULUMI_NODEJS_STACK", sc.GetStack())
			set("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(sc.GetDryRun()))
			if sc.GetConfig() != nil {
				b, err := json.Marshal(sc.GetConfig())
				if err != nil {
					return err
				}
				set("PULUMI_CONFIG", string(b))
			}
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	if isPolicy {
		cmd.Dir = dir
	} else {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start %s: %w", filepath.Base(runPath), err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach policy pack proxy: %w", err)
		}
	} else if err := cmd.Wait(); err != nil {
		return fmt.Errorf("plugin exited: %w", err)
	}
	return closer.Close()
}

// Unsupported code-generation and packaging entry points.
func (h *host) GenerateProject(context.Context, *pulumirpc.GenerateProjectRequest) (*pulumirpc.GenerateProjectResponse, error) {
	return nil, status.Error(codes.Unimplemented, "GenerateProject is not supported by this language host")
}
