package mail

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The campaign sender's fast path.
//
// go-mail builds a message as a tree of parts, encodes it, then parses its
// own output again to DKIM-sign it, and sends each message with NOOP and
// RSET around it. For the plain messages a campaign sends (text and HTML, no
// attachments) the SMTP transport renders the bytes itself in one pass
// (Render) and sends them over the same go-mail SMTP connection (SendRaw):
// MAIL FROM, RCPT TO and DATA pipelined in one write when the server offers
// PIPELINING (RFC 2920), then the message and its end. TLS and AUTH are the
// connection's, set up by go-mail as before; everything else (the outbox,
// attachments) still goes through Send.
//
// The bytes: the same headers as Send (From, To, Subject RFC 2047-encoded
// when not ASCII, Date, Message-ID, MIME-Version, the caller's headers —
// List-Unsubscribe, List-Unsubscribe-Post, List-Id, Precedence, …), CRLF
// line ends, header lines folded at 78 columns, a multipart/alternative body
// whose parts are quoted-printable with lines of at most 76 characters. The
// encoder writes each run of spaces as one literal space followed by =20s,
// never leaves a space at a line end, writes tabs as =09, and escapes a dot at the start of a
// line: the body is then its own DKIM relaxed canonical form (so it is
// hashed as is) and needs no SMTP dot-stuffing. The boundary starts with
// "=_", which quoted-printable text cannot contain.
//
// The DKIM signature (relaxed/relaxed, rsa-sha256 or ed25519-sha256, RFC
// 6376 and 8463) covers From, To, Subject, Date, Message-ID, MIME-Version,
// Content-Type and every caller header (List-Unsubscribe and
// List-Unsubscribe-Post as RFC 8058 asks, List-Id, …).

// RawSender is implemented by connections that render simple messages
// themselves (Render) and send ready bytes (SendRaw); the campaign sender
// uses it when the connection has it.
type RawSender interface {
	// Render returns m (text and optional HTML, no attachments) as a
	// complete message, DKIM-signed when the transport signs, with its
	// envelope recipient. msg lives in *scratch, which Render grows as
	// needed and which the caller passes again for the next message.
	// errNoFastPath means: use Send.
	Render(m *Message, scratch *[]byte) (msg []byte, rcpt string, err error)
	// SendRaw sends msg (from Render) to rcpt from the transport's envelope
	// sender.
	SendRaw(rcpt string, msg []byte) error
}

// errNoFastPath says that a message is not one Render handles.
var errNoFastPath = errors.New("message needs the general path")

// sendMessage sends m over conn: rendered and sent raw when conn can,
// through Send otherwise. buf is reused from one message to the next.
func sendMessage(conn Conn, m *Message, buf *[]byte) error {
	rs, ok := conn.(RawSender)
	if !ok || len(m.Attachments) > 0 {
		return conn.Send(m)
	}
	b, rcpt, err := rs.Render(m, buf)
	if errors.Is(err, errNoFastPath) {
		return conn.Send(m)
	}
	if err != nil {
		return err
	}
	return rs.SendRaw(rcpt, b)
}

// sigRoom is the room left before the headers for the DKIM-Signature.
const sigRoom = 1024

// rawRenderer holds what Render needs that does not change per message.
type rawRenderer struct {
	fromLine  string // "From: …\r\n", folded
	envFrom   string // "<bounces@…>" for MAIL FROM
	signer    crypto.Signer
	algo      string // rsa-sha256 or ed25519-sha256
	tagPrefix string // "v=1; a=…; c=relaxed/relaxed; d=…; s=…; "
	now       func() time.Time
}

// newRawRenderer prepares the fast path; nil when the addresses or key do
// not fit it (Send is then used for everything).
func newRawRenderer(t *SMTPTransport) *rawRenderer {
	from, err := mail.ParseAddress(t.from)
	if err != nil {
		return nil
	}
	env, err := mail.ParseAddress(t.returnPath)
	if err != nil || strings.ContainsAny(env.Address, "\r\n<>") {
		return nil
	}
	r := &rawRenderer{envFrom: (&mail.Address{Address: env.Address}).String(), now: time.Now}
	r.fromLine = foldHeader("From", formatAddr(from))
	if t.dkim != nil {
		switch t.dkim.Signer.Public().(type) {
		case *rsa.PublicKey:
			r.algo = "rsa-sha256"
		case ed25519.PublicKey:
			r.algo = "ed25519-sha256"
		default:
			return nil
		}
		if !dkimSafe(t.dkim.Domain) || !dkimSafe(t.dkim.Selector) {
			return nil
		}
		r.signer = t.dkim.Signer
		r.tagPrefix = "v=1; a=" + r.algo + "; c=relaxed/relaxed; d=" + t.dkim.Domain + "; s=" + t.dkim.Selector + "; "
	}
	return r
}

// dkimSafe accepts a domain or selector that can go into a tag as is.
func dkimSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// formatAddr formats an address as go-mail does: "<a@b>" without a name.
func formatAddr(a *mail.Address) string {
	if a.Name == "" {
		return (&mail.Address{Address: a.Address}).String()
	}
	return a.String()
}

// headerName reports whether k can be written as a header name as is.
func headerName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// fixedHeaders are set by Render; a caller header with one of these names
// is left to the general path.
var fixedHeaders = map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "Reply-To": true,
	"Dkim-Signature": true, "Return-Path": true, "Cc": true, "Bcc": true, "Sender": true}

// Render implements RawSender.
func (r *rawRenderer) Render(m *Message, msgDomain string, scratch *[]byte) ([]byte, string, error) {
	if len(m.Attachments) > 0 {
		return nil, "", errNoFastPath
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(to.Address, "\r\n<>") {
		if err == nil {
			err = errors.New("bad characters")
		}
		return nil, "", &SendError{Temporary: false, Err: fmt.Errorf("recipient %q: %w", m.To, err)}
	}
	// The headers, in order, each a complete folded line; signed ones also
	// go into the DKIM header list.
	type hdr struct{ name, line string }
	hs := make([]hdr, 0, 16)
	hs = append(hs, hdr{"from", r.fromLine}, hdr{"to", foldHeader("To", formatAddr(to))})
	if m.ReplyTo != "" {
		rt, err := mail.ParseAddress(m.ReplyTo)
		if err != nil {
			return nil, "", errNoFastPath
		}
		hs = append(hs, hdr{"reply-to", foldHeader("Reply-To", formatAddr(rt))})
	}
	hs = append(hs, hdr{"subject", foldHeader("Subject", mime.QEncoding.Encode("UTF-8", m.Subject))})
	now := r.now()
	hs = append(hs, hdr{"date", "Date: " + now.Format(time.RFC1123Z) + "\r\n"})
	id := m.MessageID
	if id == "" {
		id = randomID() + "@" + msgDomain
	}
	if strings.ContainsAny(id, "\r\n<> ") {
		return nil, "", errNoFastPath
	}
	hs = append(hs, hdr{"message-id", foldHeader("Message-ID", "<"+id+">")}, hdr{"mime-version", "MIME-Version: 1.0\r\n"})
	if len(m.Headers) > 0 {
		keys := make([]string, 0, len(m.Headers))
		for k := range m.Headers {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			if !headerName(k) || fixedHeaders[ck] {
				return nil, "", errNoFastPath
			}
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if d := headerRank(a) - headerRank(b); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			hs = append(hs, hdr{strings.ToLower(k), foldHeader(k, mime.QEncoding.Encode("UTF-8", m.Headers[k]))})
		}
	}
	var boundary string
	if m.HTML != "" {
		var rb [16]byte
		_, _ = rand.Read(rb[:]) //nolint:errcheck // never fails
		boundary = "=_" + hex.EncodeToString(rb[:])
		hs = append(hs, hdr{"content-type", "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n"})
	} else {
		hs = append(hs, hdr{"content-type", "Content-Type: text/plain; charset=UTF-8\r\n"}, hdr{"", "Content-Transfer-Encoding: quoted-printable\r\n"})
	}
	for _, h := range hs {
		if !lineLengthsOK(h.line) {
			return nil, "", errNoFastPath
		}
	}

	// The body, after room for the headers and the signature.
	var size int
	for _, h := range hs {
		size += len(h.line)
	}
	size += sigRoom + (len(m.Text)+len(m.HTML))*21/20 + 400
	buf := slices.Grow((*scratch)[:0], size)
	defer func() { *scratch = buf[:0] }()
	if r.signer != nil {
		buf = buf[:sigRoom] // the DKIM-Signature goes at the end of this room
	}
	for _, h := range hs {
		buf = append(buf, h.line...)
	}
	buf = append(buf, "\r\n"...)
	bodyStart := len(buf)
	if boundary == "" {
		buf = appendQP(buf, m.Text)
	} else {
		buf = append(buf, "--"...)
		buf = append(buf, boundary...)
		buf = append(buf, "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"...)
		buf = appendQP(buf, m.Text)
		buf = append(buf, "\r\n--"...)
		buf = append(buf, boundary...)
		buf = append(buf, "\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"...)
		buf = appendQP(buf, m.HTML)
		buf = append(buf, "\r\n--"...)
		buf = append(buf, boundary...)
		buf = append(buf, "--\r\n"...)
	}
	if n := len(buf); n < 2 || buf[n-2] != '\r' || buf[n-1] != '\n' {
		buf = append(buf, "\r\n"...)
	}
	if r.signer == nil {
		return buf, to.Address, nil
	}

	// DKIM: the body is already in relaxed canonical form but for empty
	// lines at its end.
	body := buf[bodyStart:]
	for bytes.HasSuffix(body, []byte("\r\n\r\n")) {
		body = body[:len(body)-2]
	}
	bh := sha256.Sum256(body)
	names := make([]string, 0, len(hs))
	for _, h := range hs {
		if h.name != "" {
			names = append(names, h.name)
		}
	}
	tags := r.tagPrefix + "t=" + strconv.FormatInt(now.Unix(), 10) + "; h=" + strings.Join(names, ":") +
		"; bh=" + base64.StdEncoding.EncodeToString(bh[:]) + "; b="
	sigLine := foldHeader("DKIM-Signature", tags)
	sigLine = sigLine[:len(sigLine)-2] // no CRLF: b= comes next
	hh := sha256.New()
	var cb []byte
	for _, h := range hs {
		if h.name != "" {
			cb = relaxedHeader(cb[:0], h.line)
			hh.Write(cb)
		}
	}
	cb = relaxedHeader(cb[:0], sigLine)
	hh.Write(cb[:len(cb)-2]) // the signature's own header: without its CRLF
	sum := hh.Sum(nil)
	var sig []byte
	if r.algo == "rsa-sha256" {
		sig, err = r.signer.Sign(rand.Reader, sum, crypto.SHA256)
	} else {
		sig, err = r.signer.Sign(rand.Reader, sum, crypto.Hash(0))
	}
	if err != nil {
		return nil, "", fmt.Errorf("DKIM: %w", err)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	var sb strings.Builder
	sb.Grow(len(sigLine) + len(b64) + len(b64)/70*3 + 2)
	sb.WriteString(sigLine)
	col := len(sigLine) - strings.LastIndexByte(sigLine, '\n') - 1
	for b64 != "" {
		n := min(len(b64), max(76-col, 0))
		if n == 0 {
			sb.WriteString("\r\n ")
			col = 1
			continue
		}
		sb.WriteString(b64[:n])
		b64 = b64[n:]
		col += n
	}
	sb.WriteString("\r\n")
	line := sb.String()
	if len(line) > sigRoom {
		// A long domain or header list: make room.
		out := make([]byte, 0, len(line)+len(buf)-sigRoom)
		out = append(out, line...)
		return append(out, buf[sigRoom:]...), to.Address, nil
	}
	start := sigRoom - len(line)
	copy(buf[start:], line)
	return buf[start:], to.Address, nil
}

// headerRank orders caller headers: the RFC 8058 pair and List-Id first,
// then the others by name.
func headerRank(k string) int {
	switch textproto.CanonicalMIMEHeaderKey(k) {
	case "List-Unsubscribe":
		return 0
	case "List-Unsubscribe-Post":
		return 1
	case "List-Id":
		return 2
	}
	return 3
}

// lineLengthsOK checks that no line of a header is longer than 998 octets.
func lineLengthsOK(s string) bool {
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return len(s) <= 998
		}
		if i > 999 {
			return false
		}
		s = s[i+1:]
	}
	return true
}

// foldHeader returns "Name: value\r\n", folded before spaces so that lines
// stay within 78 characters where the value allows it. Unfolding (removing
// the CRLFs) gives back the value.
func foldHeader(name, value string) string {
	if len(name)+2+len(value) <= 78 {
		return name + ": " + value + "\r\n"
	}
	var b strings.Builder
	b.Grow(len(name) + len(value) + len(value)/60*3 + 4)
	b.WriteString(name)
	b.WriteByte(':')
	col, word := len(name)+1, true
	for w := range strings.SplitSeq(value, " ") {
		if col+1+len(w) > 78 && word {
			b.WriteString("\r\n")
			col, word = 0, false
		}
		b.WriteByte(' ')
		b.WriteString(w)
		col += 1 + len(w)
		word = word || w != ""
	}
	b.WriteString("\r\n")
	return b.String()
}

// relaxedHeader appends the DKIM relaxed canonical form of a header line
// (RFC 6376 3.4.2): name lower-cased, lines unfolded, runs of spaces and
// tabs made one space, none around the colon or at the end, then CRLF.
func relaxedHeader(dst []byte, line string) []byte {
	i := strings.IndexByte(line, ':')
	dst = append(dst, strings.ToLower(strings.TrimRight(line[:i], " \t"))...)
	dst = append(dst, ':')
	v := line[i+1:]
	space := false
	started := false
	for j := 0; j < len(v); j++ {
		c := v[j]
		switch c {
		case '\r', '\n':
			continue
		case ' ', '\t':
			space = true
			continue
		}
		if space && started {
			dst = append(dst, ' ')
		}
		space, started = false, true
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// qpClass: 0 literal, 1 needs =XX, 2 space. A tab is always =09: DKIM's
// relaxed canonicalization would turn even a single one into a space.
var qpClass = func() (t [256]uint8) {
	for i := range t {
		switch {
		case i == ' ':
			t[i] = 2
		case i >= 33 && i <= 126 && i != '=':
			t[i] = 0
		default:
			t[i] = 1
		}
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendQP appends s quoted-printable encoded (RFC 2045 6.7) with CRLF
// line ends and lines of at most 76 characters. Line breaks in s ("\n" or
// "\r\n") become hard line breaks. Beyond the RFC it writes every space
// or tab that follows another one, or ends a line, as =20/=09, and a dot
// starting a line as =2E, and every tab as =09 (see the comment at the
// top of this file).
func appendQP(dst []byte, s string) []byte {
	col := 0
	prevWS := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if qpClass[c] == 0 && col < 75 && (c != '.' || col != 0) {
			// A run of characters written as they are, up to the line's end.
			// Single spaces inside it are literal too (see below).
			j, end := i+1, min(len(s), i+75-col)
			for j < end {
				if k := qpClass[s[j]]; k == 0 || k == 2 && s[j-1] != ' ' && j+1 < len(s) && s[j+1] != '\n' && s[j+1] != '\r' {
					j++
					continue
				}
				break
			}
			dst = append(dst, s[i:j]...)
			col += j - i
			prevWS = s[j-1] == ' '
			i = j - 1
			continue
		}
		if c == '\n' || (c == '\r' && i+1 < len(s) && s[i+1] == '\n') {
			if c == '\r' {
				i++
			}
			dst = append(dst, '\r', '\n')
			col, prevWS = 0, false
			continue
		}
		lit := false
		switch qpClass[c] {
		case 0:
			lit = c != '.' || col != 0
		case 2:
			// Literal unless it follows a space or ends a line.
			lit = !prevWS && i+1 < len(s) && s[i+1] != '\n' && s[i+1] != '\r'
		}
		n := 3
		if lit {
			n = 1
		}
		if col+n > 75 {
			dst = append(dst, '=', '\r', '\n')
			col, prevWS = 0, false
			if c == '.' {
				lit, n = false, 3
			}
		}
		if lit {
			dst = append(dst, c)
			prevWS = qpClass[c] == 2
		} else {
			dst = append(dst, '=', upperHex[c>>4], upperHex[c&15])
			prevWS = false
		}
		col += n
	}
	return dst
}

// Render implements RawSender.
func (c *smtpConn) Render(m *Message, scratch *[]byte) ([]byte, string, error) {
	if c.t.raw == nil {
		return nil, "", errNoFastPath
	}
	return c.t.raw.Render(m, c.t.msgDomain, scratch)
}

// SendRaw implements RawSender: MAIL FROM, RCPT TO and DATA (in one write
// when the server pipelines), the message, the final dot. msg comes from
// Render: CRLF line ends, no line starting with a dot.
func (c *smtpConn) SendRaw(rcpt string, msg []byte) error {
	if c.t.raw == nil || strings.ContainsAny(rcpt, "\r\n<>") || len(msg) < 2 || msg[len(msg)-2] != '\r' || msg[len(msg)-1] != '\n' {
		return &SendError{Temporary: false, Err: errors.New("SendRaw: message not from Render")}
	}
	if bytes.HasPrefix(msg, []byte(".")) || bytes.Contains(msg, []byte("\n.")) {
		return &SendError{Temporary: false, Err: errors.New("SendRaw: a line starts with a dot")}
	}
	sc := c.sc
	if err := sc.UpdateDeadline(30 * time.Second); err != nil {
		return &SendError{Temporary: true, Err: err}
	}
	mailCmd := "MAIL FROM:" + c.t.raw.envFrom
	if ok, _ := sc.Extension("8BITMIME"); ok {
		mailCmd += " BODY=8BITMIME"
	}
	if ok, _ := sc.Extension("SMTPUTF8"); ok {
		mailCmd += " SMTPUTF8"
	}
	rcptCmd := "RCPT TO:" + (&mail.Address{Address: rcpt}).String()
	t := sc.Text
	var errMail, errRcpt, errData error
	if c.pipelining {
		_, _ = t.W.WriteString(mailCmd + "\r\n" + rcptCmd + "\r\nDATA\r\n") //nolint:errcheck // Flush reports it
		if err := t.W.Flush(); err != nil {
			return &SendError{Temporary: true, Err: err}
		}
		_, _, errMail = t.ReadResponse(250)
		_, _, errRcpt = t.ReadResponse(25)
		_, _, errData = t.ReadResponse(354)
	} else {
		errMail = rawCmd(t, 250, mailCmd)
		if errMail == nil {
			errRcpt = rawCmd(t, 25, rcptCmd)
		}
		if errMail == nil && errRcpt == nil {
			errData = rawCmd(t, 354, "DATA")
		}
	}
	if err := cmp.Or(errMail, errRcpt); err != nil {
		if errData == nil && c.pipelining {
			// DATA accepted all the same: end it empty (RFC 2920 3.1).
			_ = rawCmd(t, 0, ".") //nolint:errcheck // the connection is dropped after an error anyway
		}
		_ = rawCmd(t, 250, "RSET") //nolint:errcheck // likewise
		return smtpSendError(map[bool]string{true: "MAIL FROM", false: "RCPT TO"}[errMail != nil], err)
	}
	if errData != nil {
		return smtpSendError("DATA", errData)
	}
	_, _ = t.W.Write(msg)           //nolint:errcheck // Flush reports it
	_, _ = t.W.WriteString(".\r\n") //nolint:errcheck // likewise
	if err := t.W.Flush(); err != nil {
		return &SendError{Temporary: true, Err: err}
	}
	if _, _, err := t.ReadResponse(250); err != nil {
		return smtpSendError("end of data", err)
	}
	return nil
}

// rawCmd sends one command and reads its reply (any reply when expect is 0).
func rawCmd(t *textproto.Conn, expect int, cmd string) error {
	_, _ = t.W.WriteString(cmd + "\r\n") //nolint:errcheck // Flush reports it
	if err := t.W.Flush(); err != nil {
		return err
	}
	_, _, err := t.ReadResponse(expect)
	return err
}

// smtpSendError classifies a failed step: 4xx replies, dropped connections
// and timeouts are temporary, 5xx replies permanent.
func smtpSendError(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SendError{Temporary: te.Code < 500, Err: fmt.Errorf("%s: %w", step, err)}
	}
	return &SendError{Temporary: true, Err: fmt.Errorf("%s: %w", step, err)}
}
