package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"coalition/internal/accounts"
)

// E-mail cloaking. An address shown on a page is never sent as a plain
// "name@domain" string: the link points to /contact/<token>, where the token
// is the address encrypted with the server's key (AES-GCM with a nonce derived
// from the address, so the same address always gives the same link and pages
// stay cacheable), and the server answers that link with a redirect to
// mailto:. The visible text is the local part, an empty <span> that the
// stylesheet fills with "@", and the domain — people see and click the
// address, with or without JavaScript; a harvester reading the HTML finds no
// address.

func (s *Server) cloakAEAD() cipher.AEAD {
	k := sha256.Sum256(append([]byte("cloak:"), s.linkKey...))
	blk, _ := aes.NewCipher(k[:]) //nolint:errcheck // a 32-byte key is always valid
	g, _ := cipher.NewGCM(blk)    //nolint:errcheck // AES has a 16-byte block
	return g
}

// cloakToken encrypts an address into a URL-safe token.
func (s *Server) cloakToken(addr string) string {
	g := s.cloakAEAD()
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte(addr))
	nonce := m.Sum(nil)[:g.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(addr), nil))
}

// uncloak reverses cloakToken; ok is false for any token not made here.
func (s *Server) uncloak(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	g := s.cloakAEAD()
	if err != nil || len(b) < g.NonceSize()+g.Overhead() {
		return "", false
	}
	pt, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], nil)
	if err != nil {
		return "", false
	}
	return string(pt), true
}

// cloakEmail renders an address as a cloaked link (template function "cloak").
func (s *Server) cloakEmail(addr string) template.HTML {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" {
		return template.HTML(template.HTMLEscapeString(addr)) //nolint:gosec // escaped
	}
	return template.HTML(`<a class="email" rel="nofollow" href="/contact/` + s.cloakToken(addr) + `">` + //nolint:gosec // every part escaped
		template.HTMLEscapeString(local) + `<span class="at" aria-hidden="true"></span><span class="visually-hidden"> at </span>` +
		template.HTMLEscapeString(domain) + `</a>`)
}

// contactRedirect answers a cloaked link with a redirect to mailto:.
func (s *Server) contactRedirect(w http.ResponseWriter, r *http.Request) {
	if !s.limits.allow("contact", s.clientIP(r)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many requests from your address. Please wait a minute and try again."))
		return
	}
	addr, ok := s.uncloak(r.PathValue("token"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if _, err := accounts.NormalizeEmail(addr); err != nil {
		s.notFound(w, r)
		return
	}
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	w.Header().Set("Cache-Control", "private, no-store")
	http.Redirect(w, r, "mailto:"+addr, http.StatusFound)
}
