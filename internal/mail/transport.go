// Package mail sends e-mail. Transactional messages (password resets,
// invitations, confirmations) go through a database outbox drained by a
// worker; with no SMTP server configured they stay in the outbox, where admins
// can read them, so the demo works offline.
package mail

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"time"

	"coalition/internal/config"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Message is one e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string            // plain-text part; always present
	HTML    string            // optional HTML alternative
	Headers map[string]string // extra headers (List-Unsubscribe, List-Id, …)
	ReplyTo string
	// MessageID is set by the caller when it must stay the same across
	// retries (campaign deliveries); otherwise one is generated.
	MessageID string
	// Attachments are files sent with the message (e.g. a receipt PDF).
	Attachments []Attachment
}

// Attachment is one file attached to a message.
type Attachment struct {
	Name        string // file name shown to the recipient
	ContentType string // e.g. application/pdf
	Data        []byte
}

// Transport delivers messages to an SMTP server.
type Transport interface {
	// Open starts a connection that can send several messages.
	Open(ctx context.Context) (Conn, error)
}

// Conn is an open connection to the mail server.
type Conn interface {
	Send(m *Message) error
	Close() error
}

// SMTPTransport sends through an SMTP server with go-mail, upgrading with
// STARTTLS when the server offers it (or implicit TLS for smtps://), and
// signing with DKIM when a key is configured.
type SMTPTransport struct {
	cfg        config.SMTP
	from       string
	returnPath string
	msgDomain  string
	dkim       *gomail.DKIMSigner
	tlsConfig  *tls.Config
	raw        *rawRenderer // the fast path (rawmsg.go); nil when it does not apply
}

// SMTPOptions configure an SMTPTransport.
type SMTPOptions struct {
	From         string // From: header
	ReturnPath   string // envelope sender where bounces go; From if empty
	DKIMKeyFile  string // PEM private key (RSA or Ed25519); empty for no signing
	DKIMSelector string
	DKIMDomain   string // defaults to From's domain
	// InsecureSkipVerify accepts any certificate (tests with a self-signed server only).
	InsecureSkipVerify bool
}

// NewSMTPTransport returns a transport for the parsed --smtp URL.
func NewSMTPTransport(cfg config.SMTP, o SMTPOptions) (*SMTPTransport, error) {
	t := &SMTPTransport{cfg: cfg, from: o.From, returnPath: o.ReturnPath, msgDomain: domainOf(o.From)}
	if t.returnPath == "" {
		t.returnPath = o.From
	}
	t.tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // only for tests, documented
	if o.DKIMKeyFile != "" {
		pemBytes, err := os.ReadFile(o.DKIMKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--dkim-key: %w", err)
		}
		key, err := gomail.PrivKeyFromPEM(pemBytes)
		if err != nil {
			return nil, fmt.Errorf("--dkim-key %s: %w", o.DKIMKeyFile, err)
		}
		s, err := NewDKIMSigner(key, o.DKIMSelector, o.DKIMDomain, o.From)
		if err != nil {
			return nil, err
		}
		t.dkim = s
	}
	t.raw = newRawRenderer(t)
	return t, nil
}

// NewDKIMSigner builds a signer for domain (From's domain when empty).
func NewDKIMSigner(key crypto.Signer, selector, domain, from string) (*gomail.DKIMSigner, error) {
	if selector == "" {
		return nil, errors.New("--dkim-selector is required with --dkim-key")
	}
	if domain == "" {
		domain = domainOf(from)
	}
	s := gomail.NewDKIMSigner(domain, selector, key)
	if err := s.ValidateConfig(); err != nil {
		return nil, fmt.Errorf("DKIM: %w", err)
	}
	return s, nil
}

func domainOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			d := addr[i+1:]
			if n := len(d); n > 0 && d[n-1] == '>' {
				d = d[:n-1]
			}
			return d
		}
	}
	return "localhost"
}

func (t *SMTPTransport) client() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(t.cfg.Port),
		gomail.WithTimeout(30 * time.Second),
		gomail.WithTLSConfig(t.tlsConfig),
	}
	if t.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if t.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.cfg.Username), gomail.WithPassword(t.cfg.Password))
	}
	if t.dkim != nil {
		opts = append(opts, gomail.WithAlwaysDKIMSign(t.dkim))
	}
	return gomail.NewClient(t.cfg.Host, opts...)
}

// Open implements Transport.
func (t *SMTPTransport) Open(ctx context.Context) (Conn, error) {
	c, err := t.client()
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, &SendError{Temporary: true, Err: fmt.Errorf("connect to %s:%d: %w", t.cfg.Host, t.cfg.Port, err)}
	}
	pipe, _ := sc.Extension("PIPELINING")
	return &smtpConn{t: t, c: c, sc: sc, pipelining: pipe}, nil
}

type smtpConn struct {
	t          *SMTPTransport
	c          *gomail.Client
	sc         *smtp.Client
	pipelining bool // the server offers RFC 2920 pipelining (SendRaw uses it)
}

// Build turns a Message into a go-mail message with our From, Return-Path
// and Message-ID (exported for tests that check headers).
func (t *SMTPTransport) Build(m *Message) (*gomail.Msg, error) {
	return BuildMsg(m, t.from, t.returnPath, t.msgDomain)
}

// BuildMsg turns a Message into a go-mail message.
func BuildMsg(m *Message, from, returnPath, msgDomain string) (*gomail.Msg, error) {
	g := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := g.From(from); err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	if err := g.EnvelopeFrom(returnPath); err != nil {
		return nil, fmt.Errorf("return path %q: %w", returnPath, err)
	}
	if err := g.To(m.To); err != nil {
		return nil, &SendError{Temporary: false, Err: fmt.Errorf("recipient %q: %w", m.To, err)}
	}
	if m.ReplyTo != "" {
		if err := g.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to %q: %w", m.ReplyTo, err)
		}
	}
	g.Subject(m.Subject)
	g.SetDate()
	id := m.MessageID
	if id == "" {
		id = randomID() + "@" + msgDomain
	}
	g.SetMessageIDWithValue(id)
	for k, v := range m.Headers {
		g.SetGenHeader(gomail.Header(k), v)
	}
	g.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		g.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := g.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
	return g, nil
}

func (c *smtpConn) Send(m *Message) error {
	g, err := c.t.Build(m)
	if err != nil {
		return err
	}
	if err := c.c.SendWithSMTPClient(c.sc, g); err != nil {
		var se *gomail.SendError
		temp := true
		if errors.As(err, &se) {
			temp = se.IsTemp() || se.ErrorCode() == 0
		}
		return &SendError{Temporary: temp, Err: err}
	}
	return nil
}

func (c *smtpConn) Close() error { return c.c.CloseWithSMTPClient(c.sc) }

// SendError says whether a failed delivery is worth retrying.
type SendError struct {
	Temporary bool
	Err       error
}

// Error implements error.
func (e *SendError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth retrying: 4xx replies, dropped
// connections and timeouts are; 5xx replies and bad addresses are not.
func IsTemporary(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Temporary
	}
	return true
}
