package mail

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/config"

	"github.com/emersion/go-smtp"
)

// relaxedBody is DKIM's relaxed body canonicalization (RFC 6376 3.4.4),
// written from the RFC to check the encoder against.
func relaxedBody(b []byte) []byte {
	lines := strings.Split(string(b), "\r\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		var out strings.Builder
		ws := false
		for j := 0; j < len(l); j++ {
			if l[j] == ' ' || l[j] == '\t' {
				ws = true
				continue
			}
			if ws {
				out.WriteByte(' ')
			}
			ws = false
			out.WriteByte(l[j])
		}
		lines[i] = out.String()
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// TestAppendQP: the encoder's output decodes to the input (line ends as
// CRLF), keeps lines within 76 characters, starts no line with a dot, and
// is its own DKIM relaxed canonical form.
func TestAppendQP(t *testing.T) {
	alphabet := []string{"a", "b", " ", "  ", "\t", ".", "=", "\n", "\r\n", "\r", "é", "—", "Z", "<a href=\"x\">", "From ", "\x00", "~"}
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", " ", ".", "\n", "a \n", ". \n.", strings.Repeat("x", 200), strings.Repeat(" ", 200), strings.Repeat("é", 100), strings.Repeat("=", 80) + "\n"}
	for range 3000 {
		var b strings.Builder
		for range r.IntN(300) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		enc := appendQP(nil, in)
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
		want := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\n", "\r\n")
		if err != nil || string(dec) != want {
			t.Fatalf("%q: encoded %q, decoded %q (%v)", in, enc, dec, err)
		}
		for _, l := range strings.Split(string(enc), "\r\n") {
			if len(l) > 76 || strings.HasPrefix(l, ".") || strings.ContainsAny(l, "\r\n\t") || strings.HasSuffix(l, " ") {
				t.Fatalf("%q: line %q", in, l)
			}
		}
		// As a body ending with a boundary line, as Render writes it.
		body := append(append([]byte{}, enc...), "\r\n--=_b--\r\n"...)
		if c := relaxedBody(body); !bytes.Equal(c, body) {
			t.Fatalf("%q: not canonical:\n%q\n%q", in, body, c)
		}
	}
}

// TestFoldHeader: folded headers unfold to the value, and lines stay
// within 78 characters unless one word is longer.
func TestFoldHeader(t *testing.T) {
	for _, v := range []string{"short", strings.Repeat("word ", 40), "<https://example.org/" + strings.Repeat("x", 100) + ">, <mailto:a@b>", " lead  double ", strings.Repeat("y", 120)} {
		h := foldHeader("List-Unsubscribe", v)
		if !strings.HasSuffix(h, "\r\n") {
			t.Fatalf("%q", h)
		}
		if got := strings.ReplaceAll(strings.TrimSuffix(h, "\r\n"), "\r\n", ""); got != "List-Unsubscribe: "+v {
			t.Errorf("%q unfolds to %q", v, got)
		}
		for _, l := range strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n") {
			if len(l) > 78 && strings.Contains(strings.TrimSpace(l), " ") {
				t.Errorf("%q: line %q", v, l)
			}
			if strings.TrimSpace(l) == "" {
				t.Errorf("%q: blank line in %q", v, h)
			}
		}
	}
}

// rejectingBackend refuses MAIL or RCPT on request; counts what it accepts.
type rejectingBackend struct {
	mu               sync.Mutex
	mailErr, rcptErr error
	got              []string
}

type rejectingSession struct{ b *rejectingBackend }

func (b *rejectingBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return rejectingSession{b}, nil
}
func (s rejectingSession) Mail(string, *smtp.MailOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.b.mailErr
}
func (s rejectingSession) Rcpt(string, *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.b.rcptErr
}
func (s rejectingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.got = append(s.b.got, string(b))
	s.b.mu.Unlock()
	return err
}
func (s rejectingSession) Reset()        {}
func (s rejectingSession) Logout() error { return nil }

// TestSendRawRefusals: with pipelining, a refused MAIL or RCPT is reported
// as the server's reply (4xx temporary, 5xx permanent, the enhanced code
// kept for bounce handling), nothing is delivered, and the connection
// still sends the next message.
func TestSendRawRefusals(t *testing.T) {
	be := &rejectingBackend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }() //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	sc, err := config.ParseSMTP("smtp://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewSMTPTransport(sc, SMTPOptions{From: "news@example.org", ReturnPath: "bounces@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pipelining := range []bool{true, false} {
		c, err := tr.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		conn := c.(*smtpConn)
		if !conn.pipelining {
			t.Fatal("go-smtp offers PIPELINING")
		}
		conn.pipelining = pipelining // false: one command at a time, as with a server without it
		var buf []byte
		send := func(to string) error {
			return sendMessage(conn, &Message{To: to, Subject: "Hi", Text: "Hello\n", HTML: "<p>Hello</p>"}, &buf)
		}
		be.mu.Lock()
		be.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		be.mu.Unlock()
		err = send("gone@example.org")
		if err == nil || IsTemporary(err) || !hardBounce.MatchString(err.Error()) {
			t.Fatalf("pipelining %v: refused RCPT: %v (temporary %v)", pipelining, err, IsTemporary(err))
		}
		be.mu.Lock()
		be.rcptErr = nil
		be.mailErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		be.mu.Unlock()
		if err := send("a@example.org"); err == nil || !IsTemporary(err) {
			t.Fatalf("pipelining %v: refused MAIL: %v", pipelining, err)
		}
		be.mu.Lock()
		be.mailErr = nil
		be.mu.Unlock()
		for _, to := range []string{"b@example.org", "c@example.org"} {
			if err := send(to); err != nil {
				t.Fatalf("pipelining %v: after refusals: %v", pipelining, err)
			}
		}
		_ = c.Close() //nolint:errcheck // done
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.got) != 4 || !strings.Contains(be.got[0], "To: <b@example.org>\r\n") || !strings.Contains(be.got[3], "To: <c@example.org>\r\n") {
		t.Fatalf("delivered %q", be.got)
	}
}

func BenchmarkAppendQP(b *testing.B) {
	s := strings.Repeat("<p style=\"margin:0 0 8px;\">Our members documented attacks on schools and hospitals — ünïcode.</p>\n", 130)
	var buf []byte
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendQP(buf[:0], s)
	}
}
