package web

import "net/http"

// STUB (admin helper): replace with the admin pages for lists, subscribers and campaigns.

func (s *Server) adminLists(w http.ResponseWriter, r *http.Request)             { s.notFound(w, r) }
func (s *Server) adminCreateList(w http.ResponseWriter, r *http.Request)        { s.notFound(w, r) }
func (s *Server) adminSaveList(w http.ResponseWriter, r *http.Request)          { s.notFound(w, r) }
func (s *Server) adminDeleteList(w http.ResponseWriter, r *http.Request)        { s.notFound(w, r) }
func (s *Server) adminSubscribers(w http.ResponseWriter, r *http.Request)       { s.notFound(w, r) }
func (s *Server) adminExportSubscribers(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) }
func (s *Server) adminImportForm(w http.ResponseWriter, r *http.Request)        { s.notFound(w, r) }
func (s *Server) adminImportSubscribers(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) }
func (s *Server) adminSubscriber(w http.ResponseWriter, r *http.Request)        { s.notFound(w, r) }
func (s *Server) adminSubscriberAction(w http.ResponseWriter, r *http.Request)  { s.notFound(w, r) }
func (s *Server) adminCampaigns(w http.ResponseWriter, r *http.Request)         { s.notFound(w, r) }
func (s *Server) adminNewCampaign(w http.ResponseWriter, r *http.Request)       { s.notFound(w, r) }
func (s *Server) adminSaveCampaign(w http.ResponseWriter, r *http.Request)      { s.notFound(w, r) }
func (s *Server) adminCampaign(w http.ResponseWriter, r *http.Request)          { s.notFound(w, r) }
func (s *Server) adminPreviewCampaign(w http.ResponseWriter, r *http.Request)   { s.notFound(w, r) }
func (s *Server) adminCampaignProgress(w http.ResponseWriter, r *http.Request)  { s.notFound(w, r) }
func (s *Server) adminCampaignAction(w http.ResponseWriter, r *http.Request)    { s.notFound(w, r) }
