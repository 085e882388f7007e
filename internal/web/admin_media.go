package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/media"
)

type adminMediaPage struct {
	Base
	Images []media.Image
	Pager  Pager
	Error  string
	MaxMB  int
}

func (s *Server) renderMedia(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pg := pageParam(r)
	const per = 40
	ims, total, err := s.Media.List(r.Context(), per, (pg-1)*per)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminMediaPage{Base: s.adminBase(w, r, s.t(r, "Images"), "media"), Images: ims, Pager: s.newPager(r, pg, per, total),
		Error: msg, MaxMB: s.Config.MaxUploadMB}
	s.render(w, r, status, "admin/media", p)
}

// adminMedia is the image library: every upload with the Markdown that
// places it in an article.
func (s *Server) adminMedia(w http.ResponseWriter, r *http.Request) {
	s.renderMedia(w, r, http.StatusOK, "")
}

type uploadReply struct {
	ID       int64  `json:"id,omitempty"`
	Src      string `json:"src,omitempty"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	Markdown string `json:"markdown,omitempty"`
	Error    string `json:"error,omitempty"`
}

// adminUploadMedia stores an uploaded image. The editor's script asks for
// JSON (and inserts the Markdown where the cursor is); the library's form
// gets a page.
func (s *Server) adminUploadMedia(w http.ResponseWriter, r *http.Request) {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	reply := func(status int, v uploadReply) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		if err := json.NewEncoder(w).Encode(v); err != nil {
			s.Log.Debug("upload reply", "err", err)
		}
	}
	im, ok, err := s.uploadImage(r, "file")
	if !ok && err == nil {
		err = errs.Invalid("image", s.t(r, "Choose an image file to upload."))
	}
	if ie, isInvalid := errs.AsInvalid(err); isInvalid {
		if wantJSON {
			reply(http.StatusBadRequest, uploadReply{Error: ie.Msg})
			return
		}
		s.renderMedia(w, r, http.StatusBadRequest, ie.Msg)
		return
	}
	if err != nil {
		if wantJSON {
			s.Log.Error("upload", "err", err)
			reply(http.StatusInternalServerError, uploadReply{Error: s.t(r, "The image could not be stored. Please try again.")})
			return
		}
		s.fail(w, r, err)
		return
	}
	md := im.Markdown(strings.TrimSpace(r.PostFormValue("alt")))
	if wantJSON {
		reply(http.StatusOK, uploadReply{ID: im.ID, Src: im.Src(), Width: im.Fit(media.DisplayWidth), Height: im.HeightAt(im.Fit(media.DisplayWidth)), Markdown: md})
		return
	}
	s.flash(w, r, s.t(r, "Image uploaded. To use it, paste this into an article: %s", md))
	http.Redirect(w, r, "/admin/media", http.StatusSeeOther)
}

// adminDeleteMedia removes an image.
func (s *Server) adminDeleteMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	users, err := s.Content.ImageUsers(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(users) > 0 {
		s.renderMedia(w, r, http.StatusConflict, s.t(r, "This image is still shown in: %s. Remove it from there first.", "“"+strings.Join(users, "”, “")+"”"))
		return
	}
	if err := s.Media.Delete(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "media.delete", Target: "media:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Image deleted."))
	http.Redirect(w, r, "/admin/media", http.StatusSeeOther)
}
