package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/errs"
)

type ctxKey int

const (
	userKey ctxKey = iota
	sessionKey
	routeKey // *string: the matched route pattern, filled in by guard for metrics and logs
)

// Cookie names.
const (
	sessionCookie = "coalition_session"
	csrfCookie    = "coalition_csrf"
	flashCookie   = "coalition_flash"
)

// chain wraps the router in the middleware every request passes through,
// outermost first: recover, metrics and log, security headers, compression,
// body limit, session. Access and CSRF checks run per route, in guard.
func (s *Server) chain(h http.Handler) http.Handler {
	h = s.loadSession(h)
	h = s.limitBody(h)
	h = gzipResponses(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	h = s.recoverPanics(h)
	return h
}

// userFrom returns the signed-in user, or nil.
func userFrom(ctx context.Context) *accounts.User {
	u, _ := ctx.Value(userKey).(*accounts.User)
	return u
}

// statusWriter remembers the status code and size for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
					panic(v)
				}
				s.Log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.serverError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		route := "unmatched"
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey, &route)))
		d := time.Since(start)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.observe(route, r.Method, sw.status, d)
		level := slogLevelFor(sw.status)
		s.Log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "route", route,
			"status", sw.status, "bytes", sw.size, "ms", d.Milliseconds(), "ip", s.clientIP(r))
	})
}

// securityHeaders sets the headers every response carries. No page loads
// anything from another origin, so the policy can be strict.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	https := strings.HasPrefix(s.Config.BaseURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies: small for forms, the upload limit for
// multipart requests.
func (s *Server) limitBody(next http.Handler) http.Handler {
	upload := int64(s.Config.MaxUploadMB) << 20
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(1 << 20)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				limit = upload + 1<<20
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// loadSession puts the signed-in user, if any, into the request context.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), csrfCtxKey{}, new(string)))
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		sess, u, err := s.Accounts.SessionUser(r.Context(), c.Value)
		switch {
		case errors.Is(err, errs.ErrNotFound):
			http.SetCookie(w, s.expiredCookie(sessionCookie))
		case err != nil:
			s.Log.Error("session lookup", "err", err)
		default:
			ctx := context.WithValue(r.Context(), userKey, &u)
			ctx = context.WithValue(ctx, sessionKey, sess)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// guard enforces a route's access level and, for state-changing requests
// from browsers, the CSRF check. Visitors who must sign in are sent to
// /login (pages) or get 401; signed-in users without the right role get 403.
func (s *Server) guard(rt Route) http.Handler {
	unsafe := rt.Method() != http.MethodGet && rt.Method() != http.MethodHead
	browser := rt.Access != Token && rt.Access != Hook
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeKey).(*string); ok {
			*p = rt.Pattern
		}
		if unsafe && browser {
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				if err := r.ParseMultipartForm(8 << 20); err != nil {
					var mbe *http.MaxBytesError
					if errors.As(err, &mbe) {
						s.errorPage(w, r, http.StatusRequestEntityTooLarge,
							s.t(r, "That upload is too large: the limit is %d MB.", s.Config.MaxUploadMB))
						return
					}
					s.errorPage(w, r, http.StatusBadRequest, s.t(r, "The form could not be read. Please try again."))
					return
				}
			}
			if !s.checkCSRF(r) {
				s.errorPage(w, r, http.StatusForbidden,
					s.t(r, "This form has expired or did not come from this site. Go back, reload the page and try again."))
				return
			}
		}
		if rt.Access == Public || !browser {
			rt.Handler(w, r)
			return
		}
		u := userFrom(r.Context())
		if u == nil {
			if !unsafe {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusUnauthorized, s.t(r, "Please sign in to do that."))
			return
		}
		ok := false
		switch rt.Access {
		case Signed:
			ok = true
		case Member:
			ok = u.IsStaff() || (u.Role == accounts.RoleMember && u.OrganisationID != 0)
		case Staff:
			ok = u.IsStaff()
		case Admin:
			ok = u.IsAdmin()
		}
		if !ok {
			s.errorPage(w, r, http.StatusForbidden, s.t(r, "Your account does not have access to this page."))
			return
		}
		rt.Handler(w, r)
	})
}

// clientIP is the address rate limits and the audit log use.
func (s *Server) clientIP(r *http.Request) string {
	if s.Config.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func slogLevelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// gzipResponses compresses text responses for clients that accept gzip.
func gzipResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, 5); return w }}

// gzipWriter decides on the first write whether the content type is worth
// compressing; binary files and event streams pass through untouched.
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func compressible(ct string) bool {
	for _, p := range []string{"text/html", "text/css", "text/plain", "text/csv", "application/javascript", "text/javascript",
		"application/json", "application/xml", "application/atom+xml", "image/svg+xml", "text/xml"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

func (g *gzipWriter) decide() {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	g.gz = gzipPool.Get().(*gzip.Writer)
	g.gz.Reset(g.ResponseWriter)
}

func (g *gzipWriter) WriteHeader(code int) {
	if code != http.StatusNoContent && code != http.StatusNotModified && code >= 200 {
		g.decide()
	} else {
		g.decided = true
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	g.decide()
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) Flush() {
	if g.gz != nil {
		_ = g.gz.Flush() //nolint:errcheck // a failed flush shows up on the next write
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := g.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close() //nolint:errcheck // the client has gone if this fails
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}
