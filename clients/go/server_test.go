package mcias_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// serverInfo is the JSON line of scripts/conformance-server.
type serverInfo struct {
	URL              string `json:"url"`
	CAFile           string `json:"ca_file"`
	Issuer           string `json:"issuer"`
	AdminUsername    string `json:"admin_username"`
	AdminPassword    string `json:"admin_password"`
	UnsealPassphrase string `json:"unseal_passphrase"`
	raw              map[string]any
	stdin            io.WriteCloser
	cmd              *exec.Cmd
}

var (
	serversMu sync.Mutex
	servers   []*serverInfo
)

// repoRoot is two levels up from clients/go.
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

// startServer runs scripts/conformance-server (the real compiled server on a random
// loopback port with a fresh database) and returns its JSON line. TestMain stops it.
func startServer(t testing.TB) *serverInfo {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(), "scripts", "conformance-server"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("conformance-server: %v", err)
	}
	lineCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lineCh <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lineCh:
	case <-time.After(120 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("conformance-server did not print its JSON line within 120 s")
	}
	s := &serverInfo{stdin: stdin, cmd: cmd}
	if err := json.Unmarshal([]byte(line), s); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("conformance-server line %q: %v", line, err)
	}
	_ = json.Unmarshal([]byte(line), &s.raw)
	serversMu.Lock()
	servers = append(servers, s)
	serversMu.Unlock()
	return s
}

var (
	sharedOnce sync.Once
	shared     *serverInfo
)

// sharedServer is one server for the tests other than the conformance run.
func sharedServer(t testing.TB) *serverInfo {
	sharedOnce.Do(func() { shared = startServer(t) })
	if shared == nil {
		t.Fatal("the shared server did not start")
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	serversMu.Lock()
	for _, s := range servers {
		_ = s.stdin.Close() // EOF: the script stops the server and removes its directory
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(os.Stderr, "conformance-server exited: %v\n", err)
				code = 1
			}
		case <-time.After(60 * time.Second):
			_ = s.cmd.Process.Kill()
			fmt.Fprintln(os.Stderr, "conformance-server did not stop within 60 s")
			code = 1
		}
	}
	serversMu.Unlock()
	os.Exit(code)
}
