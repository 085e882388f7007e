package web

import (
	"net/http"

	"coalition/internal/content"
)

type homePage struct {
	Base
	Latest []articleCard // publishing: the latest articles
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := &homePage{Base: s.base(w, r, "")}
	p.Section = "home"
	p.Description = p.Site.Tagline
	latest, _, err := s.Content.List(r.Context(), content.Filter{Kind: content.KindArticle, Live: true, Members: true, Limit: 6})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Latest = s.cards(r.Context(), latest)
	p.Feeds = []FeedLink{{Title: p.Site.OrgName, URL: "/feed.atom"}}
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
