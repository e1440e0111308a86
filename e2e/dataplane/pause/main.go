// Command pause is the pod sandbox's "infra" container of the e2e harness
// (the image kubelet asks containerd for as sandbox_image): it holds the
// pod's namespaces open and does nothing else until it is told to stop. It is
// built here because no image registry is reachable.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	// Reap nothing, print nothing: like the upstream pause, exit on a signal.
	<-stop
}
