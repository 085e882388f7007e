package web

import (
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
)

func itoa(n int) string { return strconv.Itoa(n) }

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func userTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// audit records an entry for the request's user and address. A failure to
// audit is logged loudly; the action itself has already happened.
func (s *Server) audit(r *http.Request, e audit.Entry) {
	if u := userFrom(r.Context()); u != nil {
		if e.ActorID == 0 {
			e.ActorID = u.ID
		}
		if e.ActorEmail == "" {
			e.ActorEmail = u.Email
		}
	}
	e.IP = s.clientIP(r)
	if err := s.Audit.Record(r.Context(), e); err != nil {
		s.Log.Error("audit", "action", e.Action, "err", err)
	}
}

// pathID parses a numeric path parameter; ok is false when it is not a
// positive integer (the caller answers 404).
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
