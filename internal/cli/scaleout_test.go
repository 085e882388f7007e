package cli_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/testkit"
)

// TestTwoServeInstances runs two `coalition serve` processes on one
// PostgreSQL database and one shared data directory, as behind a load
// balancer: a session made on one works on the other, a scheduled article is
// published once (its followers get one alert), a campaign is sent once, and
// a document uploaded through one is served by the other.
func TestTwoServeInstances(t *testing.T) {
	bin := buildBinary(t)
	_, dbURL := testkit.NewPostgres(t)
	shared := t.TempDir()
	smtp := testkit.NewSMTP(t)
	add := exec.Command(bin, "user", "add", "--database-url", dbURL, "--data", shared, "--email", "admin@example.org", "--role", "admin")
	add.Stdin = strings.NewReader("a long admin passphrase\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", shared, "--database-url", dbURL, "--smtp", smtp.URL, "--log-level", "error"}
	_, a := start(t, bin, args...)
	_, b := start(t, bin, args...)

	// A session made on A works on B.
	ca := (&testkit.Site{URL: a}).NewClient(t)
	ca.Login("admin@example.org", "a long admin passphrase")
	req, _ := http.NewRequest("GET", b+"/admin/settings", nil)
	req.AddCookie(&http.Cookie{Name: "coalition_session", Value: ca.Cookie("coalition_session")})
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("A's session on B: %d", res.StatusCode)
	}

	// A follower of Syria, confirmed, on a list.
	tok, err := exec.Command(bin, "token", "create", "--database-url", dbURL, "--data", shared).Output()
	if err != nil {
		t.Fatal(err)
	}
	api := func(base, method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		b, _ := io.ReadAll(res.Body)
		if err := json.Unmarshal(b, &v); err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
		return v
	}
	ca.Get("/admin/lists")
	if r := ca.Post("/admin/lists", url.Values{"name": {"Newsletter"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create list: %d", r.Status)
	}
	list := strconv.Itoa(int(api(b, "GET", "/lists", "")["items"].([]any)[0].(map[string]any)["id"].(float64)))
	const n = 200
	for i := range n {
		api(a, "POST", "/subscribers", fmt.Sprintf(`{"email":"r%03d@example.org","lists":[%s],"status":"confirmed"}`, i, list))
	}
	pg, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Exec(`INSERT INTO subscriber_follows (subscriber_id, tag_id)
		SELECT s.id, t.id FROM subscribers s, tags t WHERE s.email = 'r000@example.org' AND t.kind = 'country' AND t.code = 'SYR'`); err != nil {
		t.Fatal(err)
	}

	// A scheduled article, due in the next minute, filed under Syria.
	ca.Get("/admin/categories")
	if r := ca.Post("/admin/categories", url.Values{"name": {"News"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("category: %d", r.Status)
	}
	var cat string
	if err := pg.QueryRow("SELECT id FROM categories WHERE slug = 'news'").Scan(&cat); err != nil {
		t.Fatal(err)
	}
	due := time.Now().UTC().Add(time.Minute).Truncate(time.Minute)
	ca.Get("/admin/articles/new")
	r := ca.Post("/admin/articles", url.Values{"title": {"Published once"}, "summary": {"Once."}, "body": {"Text."}, "category": {cat},
		"status": {"scheduled"}, "visibility": {"public"}, "publish_at": {due.Format("2006-01-02T15:04")}, "countries": {"SYR"}, "action": {"save"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("schedule: %d", r.Status)
	}

	// A campaign sent through A's API, sent by both instances' senders.
	id := strconv.Itoa(int(api(a, "POST", "/campaigns", `{"subject":"Once only","body":"Hello.","lists":[`+list+`]}`)["id"].(float64)))
	api(b, "POST", "/campaigns/"+id+"/send", "")

	// A document uploaded through A, served by B.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ca.Get("/admin/documents/new")
	for k, v := range map[string]string{"csrf_token": ca.CSRF(), "title": "Shared", "date": "2026-01-02", "type": "report", "language": "en"} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("files", "shared.txt")
	_, _ = fw.Write([]byte("Stored once, served by both."))
	_ = mw.Close()
	up, _ := http.NewRequest("POST", a+"/admin/documents", &body)
	up.Header.Set("Content-Type", mw.FormDataContentType())
	ur := ca.Do(up)
	doc := regexp.MustCompile(`/admin/documents/(\d+)`).FindStringSubmatch(ur.Header.Get("Location"))
	if ur.Status != http.StatusSeeOther || doc == nil {
		t.Fatalf("upload on A: %d %s", ur.Status, ur.Header.Get("Location"))
	}
	fr, err := http.Get(b + "/documents/" + doc[1] + "/file")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(fr.Body)
	fr.Body.Close()
	if fr.StatusCode != http.StatusOK || string(got) != "Stored once, served by both." {
		t.Fatalf("file from B: %d %q", fr.StatusCode, got)
	}

	// Wait for the campaign and the article's alert.
	deadline := time.Now().Add(3 * time.Minute)
	var alerts, copies map[string]int
	for time.Now().Before(deadline) {
		alerts, copies = map[string]int{}, map[string]int{}
		for _, m := range smtp.Messages() {
			switch {
			case m.Header("Subject") == "Once only":
				copies[m.To[0]]++
			case strings.Contains(m.Text, "Published once"):
				alerts[m.To[0]]++
			}
		}
		c := api(a, "GET", "/campaigns/"+id, "")
		if c["status"] == "sent" && len(alerts) > 0 {
			break
		}
		time.Sleep(time.Second)
	}
	if len(copies) != n {
		t.Fatalf("%d of %d subscribers got the campaign", len(copies), n)
	}
	for addr, k := range copies {
		if k != 1 {
			t.Fatalf("%s got %d copies", addr, k)
		}
	}
	time.Sleep(2 * time.Second) // time for a second publication's alert, if there were one
	if alerts["r000@example.org"] != 1 || len(alerts) != 1 {
		t.Fatalf("alerts of the scheduled article: %v", alerts)
	}
	var published int
	if err := pg.QueryRow("SELECT COUNT(*) FROM articles WHERE title = 'Published once' AND status = 'published'").Scan(&published); err != nil || published != 1 {
		t.Fatalf("published articles: %d %v", published, err)
	}
}
