package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// CSRF protection has two layers on every state-changing request:
//  1. net/http's CrossOriginProtection refuses requests that browsers mark as
//     cross-site (Sec-Fetch-Site) or whose Origin is not this host;
//  2. a token in the form (or X-CSRF-Token header) must match the browser's
//     CSRF cookie: HMAC(server key, cookie value). A page on another origin can
//     neither read the cookie nor compute the token.
// The cookie is random per browser, rotated at sign-in and sign-out, and is
// strictly necessary (not tracking): it identifies nobody.

const csrfField = "csrf_token"

var crossOrigin = http.NewCrossOriginProtection()

type csrfCtxKey struct{}

// csrfToken returns the form token for this browser, setting the cookie if
// the browser has none yet.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if v, ok := r.Context().Value(csrfCtxKey{}).(*string); ok && *v != "" {
		return s.tokenFor(*v)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && validCookieValue(c.Value) {
		return s.tokenFor(c.Value)
	}
	v := s.newCSRFCookie(w, r)
	return s.tokenFor(v)
}

func validCookieValue(v string) bool { return len(v) >= 32 && len(v) <= 64 }

// newCSRFCookie sets a fresh CSRF cookie and remembers it for the rest of the
// request (so a page rendered after sign-in carries the new token).
func (s *Server) newCSRFCookie(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) //nolint:errcheck // never fails on supported platforms
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r), Expires: time.Now().Add(365 * 24 * time.Hour)})
	if p, ok := r.Context().Value(csrfCtxKey{}).(*string); ok {
		*p = v
	}
	return v
}

func (s *Server) tokenFor(cookieValue string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(cookieValue))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether an unsafe request carries a valid token and
// comes from this site.
func (s *Server) checkCSRF(r *http.Request) bool {
	if err := crossOrigin.Check(r); err != nil {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCookieValue(c.Value) {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	want := s.tokenFor(c.Value)
	return hmac.Equal([]byte(got), []byte(want))
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.Config.BaseURL, "https://")
}

func (s *Server) expiredCookie(name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
