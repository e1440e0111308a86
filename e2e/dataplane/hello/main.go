// Command hello is the data-plane smoke's user container: a static HTTP server
// that answers every request with one line naming its version and revision,
// so a client can count which revision answered.
//
//	$PORT       listen port (Knative sets it; default 8080)
//	$VERSION    the word it answers with (default "hello")
//	$K_REVISION the revision name (Knative sets it)
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	version := os.Getenv("VERSION")
	if version == "" {
		version = "hello"
	}
	line := fmt.Sprintf("%s rev=%s\n", version, os.Getenv("K_REVISION"))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, line)
	})
	log.Printf("hello %s listening on :%s", version, port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
