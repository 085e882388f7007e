package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StripeMock is a running stripe-mock (Stripe's API simulator) on loopback.
type StripeMock struct {
	URL string // http://127.0.0.1:PORT: pass as --stripe-api-url
}

// stripeMockPath finds the stripe-mock binary in $PATH or $(go env GOPATH)/bin.
func stripeMockPath() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	var dirs []string
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.SplitList(gp)...)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = append(dirs, filepath.SplitList(strings.TrimSpace(string(out)))...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "bin", "stripe-mock")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// NewStripeMock starts stripe-mock for the test on free loopback ports and
// stops it afterwards. A missing binary is reported like a missing
// PostgreSQL: a loud skip locally, a failure in CI (install it with
// `go install github.com/stripe/stripe-mock@latest`).
func NewStripeMock(t testing.TB) *StripeMock {
	t.Helper()
	path := stripeMockPath()
	if path == "" {
		missing(t, "stripe-mock (go install github.com/stripe/stripe-mock@latest)")
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		httpPort, httpsPort := freePort(t), freePort(t)
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, path, "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
			"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("start stripe-mock: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }() //nolint:errcheck // killed at the end of the test
		url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				lastErr = fmt.Errorf("stripe-mock exited: %s", out.String())
			default:
			}
			if lastErr != nil {
				break
			}
			req, _ := http.NewRequest(http.MethodGet, url+"/v1/customers", nil) //nolint:errcheck // constant URL
			req.SetBasicAuth("sk_test_123", "")
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
				t.Cleanup(func() {
					cancel()
					<-exited
				})
				return &StripeMock{URL: url}
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-exited
		if lastErr == nil {
			lastErr = fmt.Errorf("stripe-mock did not answer on %s: %s", url, out.String())
		}
	}
	t.Fatal(lastErr)
	return nil
}
