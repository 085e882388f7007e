package web

import "net/http"

type homePage struct {
	Base
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := &homePage{Base: s.base(w, r, "")}
	p.Section = "home"
	p.Description = p.Site.Tagline
	s.render(w, r, http.StatusOK, "pages/home", p)
}

type getInvolvedPage struct {
	Base
}

func (s *Server) getInvolved(w http.ResponseWriter, r *http.Request) {
	p := &getInvolvedPage{Base: s.base(w, r, s.t(r, "Get involved"))}
	p.Section = "get-involved"
	s.render(w, r, http.StatusOK, "pages/get_involved", p)
}
