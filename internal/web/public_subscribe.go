package web

import "net/http"

// STUB (lead): public subscribe pages, archive, bounce webhook.

func (s *Server) subscribeForm(w http.ResponseWriter, r *http.Request)       { s.notFound(w, r) }
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request)           { s.notFound(w, r) }
func (s *Server) subscribeThanks(w http.ResponseWriter, r *http.Request)     { s.notFound(w, r) }
func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request)         { s.notFound(w, r) }
func (s *Server) confirmSubscription(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) }
func (s *Server) preferencesForm(w http.ResponseWriter, r *http.Request)     { s.notFound(w, r) }
func (s *Server) savePreferences(w http.ResponseWriter, r *http.Request)     { s.notFound(w, r) }
func (s *Server) leaveAll(w http.ResponseWriter, r *http.Request)            { s.notFound(w, r) }
func (s *Server) addressForm(w http.ResponseWriter, r *http.Request)         { s.notFound(w, r) }
func (s *Server) confirmAddress(w http.ResponseWriter, r *http.Request)      { s.notFound(w, r) }
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request)     { s.notFound(w, r) }
func (s *Server) oneClickUnsubscribe(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) }
func (s *Server) newslettersArchive(w http.ResponseWriter, r *http.Request)  { s.notFound(w, r) }
func (s *Server) newsletterArchived(w http.ResponseWriter, r *http.Request)  { s.notFound(w, r) }
func (s *Server) bounceWebhook(w http.ResponseWriter, r *http.Request)       { s.notFound(w, r) }
