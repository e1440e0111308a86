// Command ociimage writes a one-layer OCI image archive (an OCI image layout
// in a tar, as `ctr images import` reads it) from static binaries, so the
// harness can make the images its node needs without any image registry:
//
//	ociimage -name dev.local/x/queue-proxy:v1 -out queue.tar -user 65532 \
//	    -entrypoint /queue /path/to/kn-queue=/queue
//
// The output is byte-for-byte reproducible (fixed timestamps, sorted
// entries), so the same inputs always give the same image digest. It prints
// "<name> <manifest digest>".
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

var epoch = time.Unix(0, 0).UTC()

func digest(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

// layer: the usual empty top-level directories plus each FILE=PATH, mode 0755.
func layer(files []string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"dev", "etc", "proc", "sys", "tmp"} {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: epoch, Format: tar.FormatPAX}))
	}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, "=")
		if !ok {
			dst = "/" + src[strings.LastIndex(src, "/")+1:]
		}
		data, err := os.ReadFile(src)
		must(err)
		must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(dst, "/"), Mode: 0o755,
			Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}))
		_, err = tw.Write(data)
		must(err)
	}
	must(tw.Close())
	return buf.Bytes()
}

func main() {
	name := flag.String("name", "", "image name with a tag, e.g. dev.local/x/pause:v1")
	out := flag.String("out", "", "archive to write")
	user := flag.String("user", "", "numeric user the image runs as (empty: root)")
	entry := flag.String("entrypoint", "", "entrypoint path inside the image")
	flag.Parse()
	if *name == "" || *out == "" || *entry == "" || flag.NArg() == 0 || !strings.Contains(*name, ":") {
		fmt.Fprintln(os.Stderr, "usage: ociimage -name REPO:TAG -out FILE.tar [-user UID] -entrypoint PATH FILE[=PATH]...")
		os.Exit(2)
	}
	tag := (*name)[strings.LastIndex(*name, ":")+1:]

	l := layer(flag.Args())
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": []string{*entry}, "Env": []string{"PATH=/"}, "User": *user},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digest(l)}},
		"history":      []map[string]string{{"created_by": "e2e/dataplane/ociimage"}},
	}
	cfgJSON, err := json.Marshal(cfg)
	must(err)
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: digest(cfgJSON), Size: len(cfgJSON)},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: digest(l), Size: len(l)}},
	})
	must(err)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: digest(manifest), Size: len(manifest),
			Annotations: map[string]string{"io.containerd.image.name": *name, "org.opencontainers.image.ref.name": tag}}},
	})
	must(err)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(path string, b []byte) {
		must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: 0o644, Size: int64(len(b)), ModTime: epoch}))
		_, err := tw.Write(b)
		must(err)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for _, b := range [][]byte{l, cfgJSON, manifest} {
		add("blobs/sha256/"+strings.TrimPrefix(digest(b), "sha256:"), b)
	}
	must(tw.Close())
	must(os.WriteFile(*out+".tmp", buf.Bytes(), 0o644))
	must(os.Rename(*out+".tmp", *out))
	fmt.Println(*name, digest(manifest))
}
