// Package benchkit holds what the benchmark programs share: building and
// starting the real binary, running wrk, and writing a section of
// bench/RESULTS.md.
package benchkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Build compiles ./cmd/coalition into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "coalition")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/coalition")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

var urlRe = regexp.MustCompile(`running at (http://\S+)`)

// Start runs the binary with args and returns the process and the URL it prints.
func Start(bin string, args ...string) (*exec.Cmd, string, error) {
	return StartWithStderr(bin, os.Stderr, args...)
}

// StartWithStderr is Start with the server's log going to stderr.
func StartWithStderr(bin string, stderr io.Writer, args ...string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }() //nolint:errcheck // drain
			return cmd, m[1], nil
		}
	}
	_ = cmd.Process.Kill() //nolint:errcheck // giving up
	return nil, "", fmt.Errorf("%s printed no URL", bin)
}

// WrkResult is what one wrk run measured.
type WrkResult struct {
	RPS      float64
	P50, P99 time.Duration
	Errors   int
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	pctRe    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)`)
	errRe    = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	unitMult = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}
)

// Wrk runs wrk against url and parses its report.
func Wrk(url string, threads, conns int, d time.Duration, headers ...string) (WrkResult, error) {
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String(), "--latency"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("wrk (apt-get install wrk): %w: %s", err, out)
	}
	var r WrkResult
	s := string(out)
	if m := rpsRe.FindStringSubmatch(s); m != nil {
		r.RPS, _ = strconv.ParseFloat(m[1], 64) //nolint:errcheck // matched digits
	}
	for _, m := range pctRe.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64) //nolint:errcheck // matched digits
		dur := time.Duration(v * float64(unitMult[m[3]]))
		if m[1] == "50" {
			r.P50 = dur
		} else {
			r.P99 = dur
		}
	}
	if m := errRe.FindStringSubmatch(s); m != nil {
		r.Errors, _ = strconv.Atoi(m[1]) //nolint:errcheck // matched digits
	}
	if m := sockRe.FindStringSubmatch(s); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.Atoi(x) //nolint:errcheck // matched digits
			r.Errors += n
		}
	}
	return r, nil
}

// Machine describes where the benchmark ran.
func Machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// WriteSection replaces (or appends) the section between
// <!-- name:start --> and <!-- name:end --> in path.
func WriteSection(path, name, body string) error {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	start, end := "<!-- "+name+":start -->", "<!-- "+name+":end -->"
	s := string(b)
	block := start + "\n" + strings.TrimSpace(body) + "\n" + end
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i >= 0 && j > i {
		s = s[:i] + block + s[j+len(end):]
	} else {
		if s != "" && !strings.HasSuffix(s, "\n\n") {
			s += "\n"
		}
		s += block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
