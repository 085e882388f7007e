package testkit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message received by the test SMTP server.
type Mail struct {
	From string
	To   []string
	Raw  []byte
	Msg  *mail.Message
	Body string // the raw body (all MIME parts, undecoded)
	Text string // the decoded text/plain part
	HTML string // the decoded text/html part, if any
}

// Header returns a header of the message.
func (m Mail) Header(k string) string { return m.Msg.Header.Get(k) }

// SMTPServer is a real SMTP server on loopback that records what it receives.
// Fail lets a test inject faults per message.
type SMTPServer struct {
	Addr string
	URL  string // smtp://127.0.0.1:PORT

	mu   sync.Mutex
	msgs []Mail
	// Fail, if set, is called before a message is accepted; a non-nil error
	// is returned to the client (use *smtp.SMTPError for 4xx/5xx codes, or
	// ErrDrop to drop the connection).
	Fail func(to []string, n int) error
	seen int
	srv  *smtp.Server
}

// ErrDrop makes the server close the connection instead of replying.
var ErrDrop = errors.New("drop connection")

// NewSMTP starts a recording SMTP server for the test.
func NewSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s, conn: c}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 50 << 20
	srv.MaxRecipients = 100
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	s.Addr = ln.Addr().String()
	s.URL = "smtp://" + s.Addr
	go func() { _ = srv.Serve(ln) }() //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns a copy of what has been received so far.
func (s *SMTPServer) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them.
func (s *SMTPServer) WaitFor(t testing.TB, n int) []Mail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %d messages; got %d", n, len(s.Messages()))
	return nil
}

// To returns the messages received for one address.
func (s *SMTPServer) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type smtpSession struct {
	s    *SMTPServer
	conn *smtp.Conn
	from string
	to   []string
}

func (ss *smtpSession) AuthPlain(string, string) error { return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	s.seen++
	n := s.seen
	fail := s.Fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(ss.to, n); err != nil {
			if errors.Is(err, ErrDrop) {
				ss.conn.Conn().Close()
			}
			return err
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable message: " + err.Error()}
	}
	body, _ := io.ReadAll(msg.Body)                 //nolint:errcheck // in-memory reader
	msg, _ = mail.ReadMessage(bytes.NewReader(raw)) //nolint:errcheck // parsed just above
	s.mu.Lock()
	m := Mail{From: ss.from, To: append([]string(nil), ss.to...), Raw: raw, Msg: msg, Body: string(body)}
	m.Text, m.HTML = decodeParts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), body)
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// decodeParts walks a MIME body and returns its decoded text and HTML parts.
func decodeParts(contentType, cte string, body []byte) (text, html string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return text, html
			}
			b, _ := io.ReadAll(p) //nolint:errcheck // in-memory
			t, h := decodeParts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b)
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	}
	var dec []byte
	switch strings.ToLower(cte) {
	case "quoted-printable":
		dec, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))) //nolint:errcheck // best effort for tests
	case "base64":
		dec, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(body, []byte("\r\n"), nil)))) //nolint:errcheck // best effort
	default:
		dec = body
	}
	switch mt {
	case "text/plain":
		return string(dec), ""
	case "text/html":
		return "", string(dec)
	}
	return "", ""
}
