package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/errs"
)

// Open counting (only with --mail-tracking; see internal/mail/tracking.go).
// GET /o/{token}.gif always answers the same transparent 1×1 GIF, whether
// tracking is on or off and whether the token is good or not, so that the
// answer reveals nothing; the open is recorded only when tracking is on and
// the token verifies.

// pixelGIF is a transparent 1×1 GIF.
var pixelGIF = []byte{
	'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
}

// openPixel is GET /o/{file}: the pixel of a campaign copy.
func (s *Server) openPixel(w http.ResponseWriter, r *http.Request) {
	if tok, ok := strings.CutSuffix(r.PathValue("file"), ".gif"); ok && s.Mail.Tracking() {
		if err := s.Mail.RecordOpen(r.Context(), tok); err != nil && !errors.Is(err, errs.ErrNotFound) {
			s.Log.Warn("campaign open", "err", err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Content-Length", strconv.Itoa(len(pixelGIF)))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(pixelGIF) //nolint:errcheck // client gone
}
