// SPDX-License-Identifier: BSD-3-Clause
// A TLS client on Go's crypto/tls for t_tls_live.sh: go run tls_client.go
// ADDR:PORT NAME. Sends NAME as the SNI and offers ALPN h2 and http/1.1,
// accepts any certificate, asks for / and prints the status line.
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tls_client ADDR:PORT NAME")
		os.Exit(2)
	}
	c, err := tls.Dial("tcp", os.Args[1], &tls.Config{ServerName: os.Args[2],
		InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", os.Args[2])
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(strings.TrimRight(line, "\r\n"))
}
