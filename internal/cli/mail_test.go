package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/testkit"
)

// TestBinaryMailAPI follows the README: a token from `coalition token
// create`, then lists, a pre-confirmed subscriber, a campaign and its
// sending through the JSON API of a running `coalition serve` that sends
// over real SMTP.
func TestBinaryMailAPI(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	smtp := testkit.NewSMTP(t)
	out, err := exec.Command(bin, "token", "create", "--data", data, "--role", "admin", "--name", "ci").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	if !strings.HasPrefix(token, "coal_") || strings.Contains(token, "\n") {
		t.Fatalf("token create printed %q", out)
	}
	if out, err := exec.Command(bin, "token", "create", "--data", data, "--role", "member").CombinedOutput(); err == nil || !strings.Contains(string(out), "--role") {
		t.Fatalf("member token: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "token", "list", "--data", data).Output(); err != nil || !strings.Contains(string(out), "ci") {
		t.Fatalf("token list: %v %s", err, out)
	}
	_, url := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data, "--smtp", smtp.URL)
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, url+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
		return v
	}
	lists := call("GET", "/lists", "")["items"].([]any)
	if len(lists) < 3 {
		t.Fatalf("demo lists: %v", lists)
	}
	var weekly string
	for _, l := range lists {
		if m := l.(map[string]any); m["name"] == "Weekly Round-up" {
			weekly = strconv.Itoa(int(m["id"].(float64)))
		}
	}
	if weekly == "" {
		t.Fatalf("no Weekly Round-up in %v", lists)
	}
	call("POST", "/subscribers", `{"email":"api-reader@example.org","name":"API Reader","lists":[`+weekly+`],"status":"confirmed"}`)
	id := strconv.Itoa(int(call("POST", "/campaigns", `{"subject":"Round-up from the API","body":"Hello **readers**.","lists":[`+weekly+`]}`)["id"].(float64)))
	call("POST", "/campaigns/"+id+"/send", "")
	deadline := time.Now().Add(60 * time.Second)
	var c map[string]any
	for time.Now().Before(deadline) {
		if c = call("GET", "/campaigns/"+id, ""); c["status"] == "sent" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c["status"] != "sent" || c["remaining"].(float64) != 0 || c["sent"].(float64) != c["total"].(float64) || c["total"].(float64) < 2 {
		t.Fatalf("campaign: %v", c)
	}
	got := 0
	for _, m := range smtp.To("api-reader@example.org") {
		if m.Header("Subject") == "Round-up from the API" {
			got++
		}
	}
	if got != 1 {
		t.Fatalf("api-reader received %d copies", got)
	}
}
