// Command etcd is upstream etcd's server entry point (same as
// go.etcd.io/etcd/server/v3's own main.go), built by ../build.sh from the Go
// module proxy for Kova's integration tests. Not product code.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
