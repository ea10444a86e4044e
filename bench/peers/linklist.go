// W4, vishvananda/netlink's side: `dumps` LinkList() calls in the netns it
// runs in (each link decoded into its typed Link, as the library does). One
// line per dump: "ms links". Built offline against Debian's
// golang-github-vishvananda-netlink-dev (GOPATH mode).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/vishvananda/netlink"
)

func main() {
	n := 1
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < n; i++ {
		t0 := time.Now()
		links, err := netlink.LinkList()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		veth := 0
		for _, l := range links {
			if l.Type() == "veth" && l.Attrs().Statistics != nil {
				veth++
			}
		}
		fmt.Printf("%.3f %d %d\n", float64(time.Since(t0).Microseconds())/1000, len(links), veth)
	}
}
